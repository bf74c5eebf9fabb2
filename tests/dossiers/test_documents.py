"""The printable slips (Circular 01/2018 forms 01–03) render as PDF with Vietnamese text."""

import base64
import io
import re
import shutil
import subprocess
import zlib
from datetime import UTC, date, datetime

from django.urls import reverse
from django.utils import translation

import pytest
import qrcode
from PIL import Image

from dossiers import documents
from dossiers.constants import DossierStatus
from dossiers.models import SupplementRequest

from .factories import (
    AgencyFactory,
    AttachmentFactory,
    DossierComponentFactory,
    DossierFactory,
    ProcedureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
S = DossierStatus


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with pdftotext when installed; else the text of its uncompressed streams
    and metadata (enough to find an ASCII code)."""
    if shutil.which("pdftotext"):
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
        )
        return done.stdout.decode()
    parts = [pdf.decode("latin-1")]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(parts)


@pytest.fixture
def dossier():
    procedure = ProcedureFactory(
        agency=AgencyFactory(code="VBC", name="Vụ Bưu chính", address="18 Nguyễn Du, Hà Nội"),
        name="Cấp giấy phép bưu chính",
        processing_days=20,
    )
    procedure.fees.create(name="Phí thẩm định", amount=1_500_000)
    dossier = DossierFactory(
        procedure=procedure,
        status=S.RECEIVED,
        code="VBC-270310-0042",
        lookup_secret="K7M2QX",
        applicant_name="Nguyễn Thị Hường",
        received_at=datetime(2027, 3, 10, 2, 30, tzinfo=UTC),
        due_date=date(2027, 4, 7),
        received_by=UserFactory(full_name="Lê Văn Đức"),
    )
    component = DossierComponentFactory(procedure=procedure, name="Đơn đề nghị cấp giấy phép")
    AttachmentFactory(dossier=dossier, component=component)
    return dossier


def test_the_receipt_slip_renders_with_code_qr_and_vietnamese_text(dossier):
    context = documents.slip_context(dossier, "receipt")
    assert context["lookup_url"].endswith("/lookup/?code=VBC-270310-0042")
    assert context["qr"].startswith("data:image/png;base64,")
    # One pixel a module (quiet zone included), dark where the lookup link's QR code is dark.
    expected = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    expected.add_data(context["lookup_url"])
    matrix = expected.get_matrix()
    image = Image.open(io.BytesIO(base64.b64decode(context["qr"].split(",", 1)[1]))).convert("1")
    assert image.size == (len(matrix), len(matrix))
    assert all(
        (image.getpixel((x, y)) == 0) == dark
        for y, row in enumerate(matrix)
        for x, dark in enumerate(row)
    )
    assert [c.name for c in context["components"]] == ["Đơn đề nghị cấp giấy phép"]
    pdf = documents.dossier_slip_pdf(dossier=dossier, kind="receipt")
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 5000
    text = pdf_text(pdf)
    assert "VBC-270310-0042" in text
    if shutil.which("pdftotext"):
        assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
        assert "Nguyễn Thị Hường" in text
        assert "07/04/2027" in text
        assert "1.500.000 đ" in text
        assert "K7M2QX" in text


def test_an_official_slip_names_the_catalogue_in_vietnamese_for_an_english_reader(
    dossier, monkeypatch
):
    procedure = dossier.procedure
    procedure.name_en = "Issuance of a postal licence"
    procedure.save()
    procedure.fees.update(name_en="Appraisal fee")
    procedure.components.update(name_en="Application for a licence")
    rendered = []
    real = documents.render_to_string

    def capture(template, context):
        rendered.append(real(template, context))
        return rendered[-1]

    monkeypatch.setattr(documents, "render_to_string", capture)

    with translation.override("en"):
        documents.dossier_slip_pdf(dossier=dossier, kind="receipt")

    html = rendered[0]
    for vietnamese in ("Cấp giấy phép bưu chính", "Vụ Bưu chính", "Phí thẩm định", "Đơn đề nghị"):
        assert vietnamese in html
    for english in ("Issuance of a postal licence", "Appraisal fee", "Application for a"):
        assert english not in html
    assert dossier.agency.name_en not in html


def test_the_supplement_and_rejection_slips_render(dossier):
    SupplementRequest.objects.create(
        dossier=dossier,
        created_by=UserFactory(full_name="Phạm Minh Tuấn"),
        message="Bổ sung bản sao giấy chứng nhận đăng ký doanh nghiệp.",
        fields=["address"],
        asked_in_status=S.PROCESSING,
        deadline=date(2027, 3, 20),
    )
    dossier.status = S.REJECTED
    dossier.rejection_reason = "Không đáp ứng điều kiện về vốn."
    assert documents.slips_available(dossier) == ["receipt", "supplement", "rejection"]
    for kind in ("supplement", "rejection"):
        pdf = documents.dossier_slip_pdf(dossier=dossier, kind=kind)
        assert pdf.startswith(b"%PDF")
        assert "VBC-270310-0042" in pdf_text(pdf)


def test_the_applicant_downloads_a_slip_and_cannot_get_one_that_does_not_exist(client, dossier):
    client.force_login(dossier.applicant)
    response = client.get(reverse("dossiers:slip", args=[dossier.pk, "receipt"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "giay-tiep-nhan-VBC-270310-0042.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    for kind in ("rejection", "supplement", "other"):
        assert client.get(reverse("dossiers:slip", args=[dossier.pk, kind])).status_code == 404


def test_a_dossier_without_code_has_no_receipt_slip():
    assert documents.slips_available(DossierFactory(status=S.SUBMITTED)) == []
