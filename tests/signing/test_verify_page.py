"""The public verification page /verify/: upload, verdicts in both languages, the QR code's
arrival, uploads never stored, rate limit."""

import uuid
from pathlib import Path

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import pytest

from core import ratelimit

from . import pdfs

pytestmark = pytest.mark.django_db
VERIFY = reverse("signing:verify")


def upload(client, data: bytes, *, url: str = VERIFY, name: str = "ket-qua.pdf", language="en"):
    client.cookies["django_language"] = language
    return client.post(url, {"document": SimpleUploadedFile(name, data, "application/pdf")})


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


def test_page_has_a_labelled_pdf_upload_form(client):
    response = client.get(VERIFY)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Verify a signed document</h1>" in html
    assert 'enctype="multipart/form-data"' in html
    assert '<label for="id_document">PDF document' in html
    assert 'accept=".pdf,application/pdf"' in html
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )


def test_footer_links_to_the_verification_page(client):
    assert f'href="{VERIFY}"' in client.get(reverse("tracking:lookup")).content.decode()


def test_good_signed_pdf_shows_organisation_person_time_and_valid(client, signed_pdfs):
    response = upload(client, signed_pdfs.good)

    assert response.status_code == 200
    text = text_of(response)
    assert "Valid signature, not issued by this portal" in text
    assert "Sở Tư pháp (test)" in text
    assert "Nguyễn Văn An" in text
    assert "Time of signing certified by a trusted timestamp authority." in text
    assert "Not modified since signing." in text
    assert "The certificate was valid at the time of signing" in text
    assert 'data-outcome="valid_not_issued"' in response.content.decode()


def test_issued_pdf_shows_the_dossier_code_and_nothing_personal(client, signed_pdfs, issue):
    issue(signed_pdfs.good, dossier_code="STP-261207-0042")

    text = text_of(upload(client, signed_pdfs.good))

    assert "Valid signature: a document issued by this portal" in text
    assert "STP-261207-0042" in text
    assert "Result" in text  # the kind of document


VERDICTS = {
    # each case: what the page says in English, then in Vietnamese
    "one_byte_changed": (
        "Modified after signing",
        "Đã bị thay đổi sau khi ký",
    ),
    "revoked": (
        "The certificate had been revoked by its certification authority at the time of signing.",
        "Chứng thư số đã bị tổ chức chứng thực thu hồi tại thời điểm ký.",
    ),
    "expired": (
        "The certificate had expired at the time of signing.",
        "Chứng thư số đã hết hạn tại thời điểm ký.",
    ),
    "unknown_ca": (
        "The certificate was issued by a certification authority this portal does not trust.",
        "Chứng thư số do một tổ chức chứng thực mà Cổng này không tin cậy cấp.",
    ),
    "unsigned": ("This PDF is not signed", "Tệp PDF này không có chữ ký số"),
    "good": (
        "Valid signature, not issued by this portal",
        "Chữ ký hợp lệ, nhưng văn bản không do Cổng này phát hành",
    ),
}


@pytest.mark.parametrize("case", list(VERDICTS))
@pytest.mark.parametrize("language", ["en", "vi"])
def test_each_verdict_is_clear_in_both_languages(client, signed_pdfs, case, language):
    english, vietnamese = VERDICTS[case]

    response = upload(client, getattr(signed_pdfs, case), language=language)

    assert response.status_code == 200
    text = text_of(response)
    assert (vietnamese if language == "vi" else english) in text
    assert (english if language == "vi" else vietnamese) not in text
    if case not in ("good", "unsigned"):
        headline = "Chữ ký không hợp lệ" if language == "vi" else "The signature is not valid"
        assert headline in text


def test_a_file_that_is_not_a_pdf_is_refused_with_a_clear_message(client):
    response = upload(client, b"\x89PNG\r\n\x1a\n" + b"0" * 200, name="anh.pdf")

    assert response.status_code == 400
    text = text_of(response)
    assert "There is a problem" in text
    assert "This file is not a PDF document. Only PDF files can be checked here." in text
    assert 'href="#id_document"' in response.content.decode()


def test_not_a_pdf_in_vietnamese(client):
    response = upload(client, b"hello", name="thu.txt", language="vi")

    assert response.status_code == 400
    assert "Tệp này không phải là văn bản PDF." in text_of(response)


def test_no_file_chosen(client):
    response = client.post(VERIFY, {})

    assert response.status_code == 400
    assert "Choose the PDF file to check." in text_of(response)


def test_too_big_a_file_is_refused_while_streaming(client, settings):
    settings.VERIFY_MAX_SIZE_MB = 1
    data = pdfs.plain_pdf() + b"%" + b"0" * (1024 * 1024 + 10)

    response = upload(client, data)

    assert response.status_code == 400
    assert "The file is larger than 1 MB." in text_of(response)


def test_damaged_pdf_gets_the_unreadable_verdict(client):
    text = text_of(upload(client, b"%PDF-1.7\n" + b"broken " * 50))

    assert "This file cannot be read as a PDF" in text


def _files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


def test_uploaded_files_are_never_stored(client, signed_pdfs, settings, tmp_path):
    """Neither in the private storage nor as a temporary upload left behind, even for a file
    large enough to be streamed to disk."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(uploads)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # every test file goes through a temp file

    for data in (signed_pdfs.good, signed_pdfs.unsigned, b"not a pdf" * 500):
        upload(client, data)

    assert _files_under(Path(settings.MEDIA_ROOT)) == []
    assert _files_under(uploads) == []


def test_rate_limited_with_a_429_page(client, settings, signed_pdfs, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "signing-ratelimit-tests",
        }
    }
    cache.clear()
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_010.0)  # 50 s left in the window
    settings.VERIFY_RATE_LIMIT = 2
    settings.VERIFY_RATE_WINDOW = 60
    assert client.get(VERIFY).status_code == 200
    assert upload(client, signed_pdfs.unsigned).status_code == 200

    response = upload(client, signed_pdfs.unsigned)

    assert response.status_code == 429
    assert response["Retry-After"] == "50"
    text = text_of(response)
    assert "Too many requests" in text
    assert "Please try again in 50 seconds." in text
    assert "This PDF is not signed" not in text  # nothing was checked


# Arriving from the QR code


def test_qr_code_arrival_shows_the_recorded_document(client, signed_pdfs, issue):
    record = issue(signed_pdfs.good, dossier_code="STP-261207-0042")

    response = client.get(reverse("signing:verify_reference", args=[record.reference]))

    assert response.status_code == 200
    text = text_of(response)
    assert "The document recorded under this code" in text
    assert "STP-261207-0042" in text
    assert "Nguyễn Văn An, Giám đốc" in text
    assert "Sở Tư pháp (test)" in text
    assert "Check your copy" in text


def test_qr_code_arrival_then_upload_of_that_very_file(client, signed_pdfs, issue):
    record = issue(signed_pdfs.good)
    url = reverse("signing:verify_reference", args=[record.reference])

    text = text_of(upload(client, signed_pdfs.good, url=url))

    assert "This file is exactly the document recorded under this code." in text
    assert "Valid signature: a document issued by this portal" in text


def test_qr_code_arrival_then_upload_of_another_file(client, signed_pdfs, issue):
    record = issue(signed_pdfs.good)
    url = reverse("signing:verify_reference", args=[record.reference])

    text = text_of(upload(client, signed_pdfs.one_byte_changed, url=url))

    assert "This file is not the document recorded under this code" in text
    assert "Modified after signing" in text


def test_unknown_reference_is_404_with_the_upload_form(client):
    response = client.get(reverse("signing:verify_reference", args=[uuid.uuid4()]))

    assert response.status_code == 404
    text = text_of(response)
    assert "No document is recorded under this code" in text
    assert 'name="document"' in response.content.decode()


def test_qr_arrival_in_vietnamese(client, signed_pdfs, issue):
    record = issue(signed_pdfs.good, dossier_code="STP-261207-0042")
    client.cookies["django_language"] = "vi"

    text = text_of(client.get(reverse("signing:verify_reference", args=[record.reference])))

    assert "Văn bản được ghi nhận theo mã này" in text
    assert "Kết quả" in text or "Kết quả giải quyết" in text
