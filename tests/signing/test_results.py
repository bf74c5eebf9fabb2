"""Approving a dossier signs its result with the agency's certificate (issue 18)."""

import hashlib
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from core.uploads import UploadRejected
from dossiers import services
from dossiers.constants import DossierStatus
from dossiers.models import Dossier
from procedures.constants import StaffRole, UnitKind
from procedures.models import UnitMembership
from signing.constants import DocumentKind
from signing.convert import soffice_path
from signing.models import IssuedDocument
from tests.dossiers.factories import DossierFactory, ProcedureFactory, agency_staff
from tests.procedures.factories import UnitFactory
from tests.signing.helpers import signatures, simple_pdf, validate

pytestmark = pytest.mark.django_db
S = DossierStatus


def docx_bytes(text: str) -> bytes:
    """A minimal real Word document (WordprocessingML) with one paragraph."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
            '/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="'
            'application/xml"/><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
            'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas'
            '.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/'
            'document.xml"/></Relationships>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxml'
            'formats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
            f"{text}</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (300, 200), (200, 30, 30, 128)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def leader_dossier():
    procedure = ProcedureFactory()
    leader = agency_staff(procedure.agency, full_name="Nguyễn Văn A")
    unit = UnitFactory(agency=procedure.agency, kind=UnitKind.LEADERSHIP, name="Ban Giám đốc")
    UnitMembership.objects.create(user=leader, unit=unit, role=StaffRole.LEADER)
    dossier = DossierFactory(procedure=procedure, status=S.PROCESSING, code="STP-270301-0001")
    return dossier, leader


def _approve(dossier, actor, name: str, data: bytes) -> Dossier:
    services.dossier_approve(
        dossier_id=dossier.pk, actor=actor, result_file=SimpleUploadedFile(name, data)
    )
    return Dossier.objects.get(pk=dossier.pk)


def test_approve_signs_the_result_with_the_leaders_name_and_title(agency_signing, leader_dossier):
    dossier, leader = leader_dossier
    dossier = _approve(dossier, leader, "Giấy phép.pdf", simple_pdf("Giấy phép"))
    stored = dossier.result_file.read()
    assert dossier.result_sha256 == hashlib.sha256(stored).hexdigest()
    assert dossier.result_name == "Giấy phép.pdf"
    status = validate(stored, agency_signing)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    signature = signatures(stored)[0].sig_object
    name = "Nguyễn Văn A"
    assert name in signature["/Reason"] and signature["/Name"] == name
    document = IssuedDocument.objects.get(sha256=dossier.result_sha256)
    assert document.kind == DocumentKind.RESULT and document.signed
    assert document.dossier_code == "STP-270301-0001"
    assert document.signer_title == "Lãnh đạo, Ban Giám đốc"
    assert document.file.name == dossier.result_file.name


def test_an_image_result_is_converted_to_pdf_and_signed(agency_signing, leader_dossier):
    dossier, leader = leader_dossier
    dossier = _approve(dossier, leader, "ket-qua.png", png_bytes())
    stored = dossier.result_file.read()
    assert stored.startswith(b"%PDF") and dossier.result_name == "ket-qua.pdf"
    assert validate(stored, agency_signing).bottom_line


def test_a_word_result_without_libreoffice_is_refused_with_a_message(
    agency_signing, leader_dossier, settings
):
    settings.SIGNING_SOFFICE = ""
    dossier, leader = leader_dossier
    with pytest.raises(UploadRejected, match="save it as PDF"):
        _approve(dossier, leader, "ket-qua.docx", docx_bytes("Kết quả"))
    assert Dossier.objects.get(pk=dossier.pk).status == S.PROCESSING
    assert not IssuedDocument.objects.exists()


def test_a_word_result_is_converted_by_libreoffice_and_signed(agency_signing, leader_dossier):
    if soffice_path() is None:
        from tests.conftest import missing_service

        missing_service("LibreOffice (soffice) for Word results")
    dossier, leader = leader_dossier
    dossier = _approve(dossier, leader, "ket-qua.docx", docx_bytes("Kết quả giải quyết"))
    stored = dossier.result_file.read()
    assert stored.startswith(b"%PDF") and dossier.result_name == "ket-qua.pdf"
    assert validate(stored, agency_signing).bottom_line


def test_with_signing_off_the_result_is_kept_as_uploaded_and_recorded(settings, leader_dossier):
    settings.SIGNING_PROVIDER = "none"
    dossier, leader = leader_dossier
    pdf = simple_pdf("Không ký")
    dossier = _approve(dossier, leader, "ket-qua.pdf", pdf)
    assert dossier.result_file.read() == pdf
    document = IssuedDocument.objects.get(sha256=hashlib.sha256(pdf).hexdigest())
    assert not document.signed and document.kind == DocumentKind.RESULT


def test_a_damaged_pdf_result_is_refused_with_a_message(agency_signing, leader_dossier):
    dossier, leader = leader_dossier
    with pytest.raises(UploadRejected, match="cannot be signed"):
        _approve(dossier, leader, "ket-qua.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")
    assert Dossier.objects.get(pk=dossier.pk).status == S.PROCESSING
    assert not IssuedDocument.objects.exists()


def test_when_the_tsa_is_down_the_approval_is_not_made(agency_signing, leader_dossier, settings):
    from dossiers.services import DossierError

    settings.SIGNING_TSA_URL = "http://127.0.0.1:9/tsa"
    dossier, leader = leader_dossier
    with pytest.raises(DossierError, match="could not be signed"):
        _approve(dossier, leader, "ket-qua.pdf", simple_pdf())
    assert Dossier.objects.get(pk=dossier.pk).status == S.PROCESSING


def test_the_officer_approves_in_admin_and_downloads_the_signed_result(
    client, agency_signing, leader_dossier, settings
):
    from django.urls import reverse

    from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP

    settings.STAFF_MFA_REQUIRED = False
    dossier, _leader = leader_dossier
    officer = agency_staff(
        dossier.agency, groups=(RECEPTION_GROUP, PROCESSING_GROUP), full_name="Lê Văn Đức"
    )
    client.force_login(officer)
    response = client.post(
        reverse("admin:dossiers_dossier_step", args=[dossier.pk, "approve"]),
        {
            "expected_status": S.PROCESSING,
            "result_file": SimpleUploadedFile("Giấy phép.pdf", simple_pdf("Giấy phép")),
        },
    )
    assert response.status_code == 302
    result = client.get(reverse("admin:dossiers_dossier_result", args=[dossier.pk]))
    signed = b"".join(result.streaming_content)
    status = validate(signed, agency_signing)
    assert status.bottom_line
    assert "Lê Văn Đức" in signatures(signed)[0].sig_object["/Reason"]
