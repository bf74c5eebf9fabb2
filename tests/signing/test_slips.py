"""Slips are issued once: signed, stored, served from storage, with a QR code to their
verification page top left (decoded here from the rendered page: pdftoppm and zbarimg)."""

import shutil
import subprocess
from datetime import UTC, date, datetime

from django.urls import reverse
from django.utils import timezone

import pytest

from dossiers.constants import DossierStatus
from payments.constants import PaymentMethod, PaymentStatus
from payments.services import payment_confirmation_store
from signing.models import IssuedDocument
from signing.services import verify_url_for
from tests.conftest import missing_service
from tests.dossiers.factories import (
    AttachmentFactory,
    DossierComponentFactory,
    DossierFactory,
    ProcedureFactory,
    UserFactory,
)
from tests.payments.factories import FeeNoticeFactory, PaymentFactory
from tests.signing.helpers import validate

pytestmark = pytest.mark.django_db
S = DossierStatus


@pytest.fixture
def dossier():
    procedure = ProcedureFactory(name="Cấp giấy phép bưu chính")
    dossier = DossierFactory(
        procedure=procedure,
        status=S.RECEIVED,
        code="VBC-270310-0042",
        lookup_secret="K7M2QX",
        received_at=datetime(2027, 3, 10, 2, 30, tzinfo=UTC),
        due_date=date(2027, 4, 7),
        received_by=UserFactory(full_name="Lê Văn Đức"),
    )
    component = DossierComponentFactory(procedure=procedure, name="Đơn đề nghị")
    AttachmentFactory(dossier=dossier, component=component)
    return dossier


def qr_codes(pdf: bytes, tmp_path) -> list[str]:
    """Every QR code printed on the first page, decoded from a 300 dpi rendering."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        missing_service("pdftoppm and zbarimg (apt-get install poppler-utils zbar-tools)")
    source = tmp_path / "slip.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-f", "1", "-l", "1", "-png", str(source), str(tmp_path / "p")],
        check=True,
    )
    page = next(tmp_path.glob("p*.png"))
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(page)],
        capture_output=True,
        text=True,
    )
    return found.stdout.split()


def _download(client, dossier, kind: str) -> bytes:
    client.force_login(dossier.applicant)
    response = client.get(reverse("dossiers:slip", args=[dossier.pk, kind]))
    assert response.status_code == 200
    return response.content


def test_the_receipt_is_signed_once_and_then_served_from_storage(
    client, dossier, agency_signing, monkeypatch
):
    first = _download(client, dossier, "receipt")
    document = IssuedDocument.objects.get(dossier_code="VBC-270310-0042", kind="receipt")
    assert document.signed
    assert validate(first, agency_signing).bottom_line

    from dossiers import documents

    def must_not_render(**kwargs):
        raise AssertionError("an issued slip is served from storage, not rendered again")

    monkeypatch.setattr(documents, "dossier_slip_pdf", must_not_render)
    assert _download(client, dossier, "receipt") == first
    assert IssuedDocument.objects.filter(kind="receipt").count() == 1


def test_the_receipts_qr_codes_decode_to_its_verification_and_lookup_urls(
    client, dossier, agency_signing, tmp_path
):
    pdf = _download(client, dossier, "receipt")
    document = IssuedDocument.objects.get(kind="receipt")
    codes = qr_codes(pdf, tmp_path)
    assert verify_url_for(document.reference) in codes
    assert any(code.endswith("/lookup/?code=VBC-270310-0042") for code in codes)  # it stays


def test_rejection_and_supplement_slips_are_signed(client, dossier, agency_signing):
    from dossiers.models import SupplementRequest

    SupplementRequest.objects.create(
        dossier=dossier,
        created_by=UserFactory(full_name="Phạm Minh Tuấn"),
        message="Bổ sung bản sao.",
        fields=["address"],
        asked_in_status=S.PROCESSING,
        deadline=date(2027, 3, 20),
    )
    dossier.status = S.REJECTED
    dossier.rejection_reason = "Không đáp ứng điều kiện."
    dossier.save()
    for kind in ("supplement", "rejection"):
        assert validate(_download(client, dossier, kind), agency_signing).bottom_line
    assert set(IssuedDocument.objects.values_list("kind", flat=True)) == {
        "supplement",
        "rejection",
    }


def test_the_payment_confirmation_is_issued_signed_with_its_qr(dossier, agency_signing, tmp_path):
    notice = FeeNoticeFactory(dossier=dossier)
    payment = PaymentFactory(
        fee_notice=notice,
        amount=notice.total,
        method=PaymentMethod.OFFLINE,
        status=PaymentStatus.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    assert payment_confirmation_store(payment_id=payment.pk)
    payment.refresh_from_db()
    document = IssuedDocument.objects.get(kind="payment_confirmation")
    assert payment.confirmation_pdf.name == document.file.name
    pdf = payment.confirmation_pdf.read()
    assert validate(pdf, agency_signing).bottom_line
    assert verify_url_for(document.reference) in qr_codes(pdf, tmp_path)
    assert not payment_confirmation_store(payment_id=payment.pk)  # once


def test_a_slip_is_served_unsigned_when_the_tsa_is_down(client, dossier, agency_signing, settings):
    settings.SIGNING_TSA_URL = "http://127.0.0.1:9/tsa"  # nothing listens on the discard port
    pdf = _download(client, dossier, "receipt")
    assert pdf.startswith(b"%PDF")
    assert not IssuedDocument.objects.exists()  # issued (and stored) later, when it can be signed


# --- The late and stop letters and the processing-control slip -----------------------------------


def test_the_signed_apology_letter_and_the_stop_notice_are_issued_signed_with_their_qr(
    client, agency_signing, tmp_path
):
    from dossiers import services
    from tests.dossiers.test_letters import build_office, draft, processing

    office = build_office()
    dossier = processing(office)
    letter = draft(dossier, office.specialist)
    services.dossier_apology_sign(dossier_id=dossier.pk, actor=office.leader, letter_id=letter.pk)
    client.force_login(dossier.applicant)
    url = reverse("dossiers:apology", args=[dossier.pk, letter.pk])
    pdf = client.get(url).content
    issued = IssuedDocument.objects.get(kind="apology", dossier_code=dossier.code)
    assert issued.signed and issued.signer_name == office.leader.full_name
    assert validate(pdf, agency_signing).bottom_line
    assert verify_url_for(issued.reference) in qr_codes(pdf, tmp_path)
    assert client.get(url).content == pdf  # issued once, then served from storage

    services.dossier_stop(dossier_id=dossier.pk, actor=office.leader, reason="Tạm dừng.")
    notice = client.get(reverse("dossiers:stop_notice", args=[dossier.pk])).content
    stopped = IssuedDocument.objects.get(kind="stop", dossier_code=dossier.code)
    assert stopped.signed and validate(notice, agency_signing).bottom_line


def test_each_printed_control_slip_is_a_recorded_signed_document(client, agency_signing, settings):
    from tests.dossiers.test_letters import build_office, processing

    settings.STAFF_MFA_REQUIRED = False
    office = build_office()
    dossier = processing(office)
    client.force_login(office.head)
    url = reverse("admin:dossiers_dossier_control_slip", args=[dossier.pk])
    first, second = client.get(url).content, client.get(url).content
    issued = IssuedDocument.objects.filter(kind="control_slip", dossier_code=dossier.code)
    assert issued.count() == 2 and all(document.signed for document in issued)
    assert validate(first, agency_signing).bottom_line and first != second
