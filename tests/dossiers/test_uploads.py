"""Upload checks (DESIGN §9): by content, size while streaming, names sanitised."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.core.files.uploadhandler import SkipFile

import pytest

from core.uploads import (
    LimitedUploadHandler,
    UploadRejected,
    check_file,
    sanitize_filename,
    sniff,
)

from .factories import (
    DOCX_BYTES,
    EXE_BYTES,
    HTML_BYTES,
    JPEG_BYTES,
    ODT_BYTES,
    OLE_BYTES,
    PDF_BYTES,
    PLAIN_ZIP_BYTES,
    PNG_BYTES,
    XLSX_BYTES,
)

ALL = ["pdf", "png", "jpg", "doc", "docx", "xlsx", "odt"]


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF_BYTES, "pdf"),
        (PNG_BYTES, "png"),
        (JPEG_BYTES, "jpg"),
        (OLE_BYTES, "doc"),
        (DOCX_BYTES, "docx"),
        (XLSX_BYTES, "xlsx"),
        (ODT_BYTES, "odt"),
        (PLAIN_ZIP_BYTES, None),
        (EXE_BYTES, None),
        (HTML_BYTES, None),
        (b"", None),
    ],
)
def test_sniff_recognises_each_type_by_its_bytes(data, kind):
    assert sniff(io.BytesIO(data)) == kind


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("don.pdf", PDF_BYTES),
        ("anh.JPEG", JPEG_BYTES),
        ("anh.png", PNG_BYTES),
        ("mau.docx", DOCX_BYTES),
        ("bang.xlsx", XLSX_BYTES),
        ("van-ban.odt", ODT_BYTES),
        ("cu.doc", OLE_BYTES),
    ],
)
def test_real_documents_are_accepted(name, data):
    checked = check_file(SimpleUploadedFile(name, data), file_types=ALL)
    assert checked.size == len(data)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.pdf", EXE_BYTES, "not a valid PDF"),  # a renamed program
        ("trang.pdf", HTML_BYTES, "not a valid PDF"),  # HTML disguised as a PDF
        ("don.docx", PLAIN_ZIP_BYTES, "not a valid DOCX"),  # any ZIP named .docx
        ("don.docx", XLSX_BYTES, "not a valid DOCX"),  # the wrong Office package
        ("anh.png", JPEG_BYTES, "not a valid PNG"),
        ("setup.exe", EXE_BYTES, "not accepted"),
        ("khong-duoi", PDF_BYTES, "not accepted"),
        ("trong.pdf", b"", "empty"),
    ],
)
def test_disguised_and_wrong_files_are_refused_with_a_clear_message(name, data, message):
    with pytest.raises(UploadRejected, match=message):
        check_file(SimpleUploadedFile(name, data), file_types=["pdf", "png", "docx"])


def test_a_type_the_component_does_not_accept_is_refused():
    with pytest.raises(UploadRejected, match="Accepted types: PDF"):
        check_file(SimpleUploadedFile("anh.png", PNG_BYTES), file_types=["pdf"])


def test_the_component_limit_and_the_portal_limit_both_apply(settings):
    data = PDF_BYTES + b"0" * (1024 * 1024)
    with pytest.raises(UploadRejected, match="larger than 1 MB"):
        check_file(SimpleUploadedFile("lon.pdf", data), file_types=["pdf"], max_size_mb=1)
    settings.UPLOAD_MAX_SIZE_MB = 1
    with pytest.raises(UploadRejected, match="larger than 1 MB"):
        check_file(SimpleUploadedFile("lon.pdf", data), file_types=["pdf"], max_size_mb=20)
    assert check_file(SimpleUploadedFile("nho.pdf", PDF_BYTES), file_types=["pdf"]).size


def test_the_size_is_measured_on_the_bytes_not_the_declared_size():
    upload = SimpleUploadedFile("lon.pdf", PDF_BYTES + b"0" * (2 * 1024 * 1024))
    upload.size = 10  # a lying size attribute
    with pytest.raises(UploadRejected, match="larger than 1 MB"):
        check_file(upload, file_types=["pdf"], max_size_mb=1)


def test_a_temporary_file_upload_is_hashed_in_chunks():
    upload = TemporaryUploadedFile("lon.pdf", "application/pdf", 0, None)
    upload.write(PDF_BYTES + b"1" * (3 * 1024 * 1024))
    upload.size = upload.tell()
    checked = check_file(upload, file_types=["pdf"])
    assert checked.size == len(PDF_BYTES) + 3 * 1024 * 1024
    upload.close()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("C:\\Users\\an\\Đơn đề nghị.pdf", "Đơn đề nghị.pdf"),
        ("a\x00b\x1fc.pdf", "abc.pdf"),
        ("gi\u202eattack.pdf", "giattack.pdf"),  # right-to-left override
        ("  ..hidden.pdf  ", "hidden.pdf"),
        ("a<b>c:d|e?.pdf", "a_b_c_d_e_.pdf"),
        ("..", "tep-dinh-kem"),
        ("", "tep-dinh-kem"),
        ("Gia\u0302\u0301y phe\u0301p.pdf", "Giấy phép.pdf"),  # decomposed accents normalised (NFC)
    ],
)
def test_names_are_sanitised(raw, clean):
    assert sanitize_filename(raw) == clean


def test_long_names_are_cut_keeping_the_extension():
    name = sanitize_filename("Bản sao giấy chứng nhận " * 20 + ".pdf")
    assert len(name) <= 120
    assert name.endswith(".pdf")


def test_the_streaming_handler_skips_a_file_over_the_limit_without_keeping_it():
    handler = LimitedUploadHandler(limits_mb={"component_1": 1})
    handler.new_file("component_1", "lon.pdf", "application/pdf", None)
    chunk = b"0" * (512 * 1024)
    assert handler.receive_data_chunk(chunk, 0) == chunk
    assert handler.receive_data_chunk(chunk, len(chunk)) == chunk
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"0", 2 * len(chunk))
    assert "larger than 1 MB" in handler.rejected["component_1"][0]


def test_the_streaming_handler_refuses_too_many_files_in_one_field(settings):
    settings.UPLOAD_MAX_FILES_PER_COMPONENT = 2
    handler = LimitedUploadHandler(limits_mb={})
    for index in range(2):
        handler.new_file("component_1", f"{index}.pdf", "application/pdf", None)
        assert handler.receive_data_chunk(b"%PDF-", 0) == b"%PDF-"
    handler.new_file("component_1", "2.pdf", "application/pdf", None)
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"%PDF-", 0)
    assert "at most 2 files" in handler.rejected["component_1"][0]
