"""The public lookup and history show only what the portal composes; free text people type
(reasons, notes to the applicant, the approval note) reaches the applicant and staff only.

Every free-text field gets an ID number and a phone number; the dossiers go through every
status through the services, and after each step the public pages are read in both languages.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

import pytest

from dossiers import services
from dossiers.constants import DossierStatus as S
from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP
from payments import services as payments
from tests.dossiers.factories import (
    PDF_BYTES,
    PNG_BYTES,
    AgencyFactory,
    DossierComponentFactory,
    DossierFactory,
    ProcedureFactory,
    UserFactory,
    agency_staff,
    upload,
)

pytestmark = pytest.mark.django_db

ID_NUMBER, PHONE = "079204001234", "0912345678"
LOOKUP, HISTORY = reverse("tracking:lookup"), reverse("tracking:history")


def free_text(label: str) -> str:
    """What a person might type: a label to find it again, an ID number and a phone number."""
    return f"{label}: CCCD {ID_NUMBER}, gọi {PHONE}"


@pytest.fixture
def agency():
    return AgencyFactory(code="CVT", name="Cục Viễn thông", name_en="Telecommunications Authority")


@pytest.fixture
def procedure(agency):
    procedure = ProcedureFactory(agency=agency, processing_days=5)
    DossierComponentFactory(procedure=procedure, required=True)
    return procedure


@pytest.fixture
def officer(agency, staff_settings):
    return agency_staff(agency, groups=[RECEPTION_GROUP, PROCESSING_GROUP])


@pytest.fixture
def staff_settings(settings):
    settings.STAFF_MFA_REQUIRED = False
    return settings


@pytest.fixture
def citizen():
    return UserFactory(full_name="Lê Văn Cường", citizen_id="001200012345")


def _submitted(procedure, citizen):
    # The dossier's own contact data differ from the secrets: only free text can leak them.
    dossier = DossierFactory(
        procedure=procedure, applicant=citizen, phone="0241234567", citizen_id="001200012345"
    )
    for component in procedure.components.all():
        services.attachment_add(dossier=dossier, component=component, file=upload(), user=citizen)
    services.dossier_submit(dossier_id=dossier.pk, actor=citizen)
    return dossier


def _public_pages_are_clean(dossier, status: str) -> None:
    """The lookup and the history, anonymous, in both languages: the dossier is found, in the
    expected status, and neither the ID number nor the phone number is anywhere."""
    dossier.refresh_from_db()
    assert dossier.status == status
    anonymous = Client()
    for language in ("vi", "en"):
        anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for url in (LOOKUP, HISTORY):
            cache.clear()  # the page as built now, not a stored copy
            response = anonymous.get(url, {"code": dossier.code})
            html = response.content.decode()
            assert response.status_code == 200
            assert dossier.code in html and "status" in html
            assert ID_NUMBER not in html, (url, language, status)
            assert PHONE not in html, (url, language, status)


def _receive(dossier, officer, label):
    services.dossier_receive(dossier_id=dossier.pk, actor=officer, note=free_text(label))


def _start(dossier, officer, label):
    services.dossier_start_processing(dossier_id=dossier.pk, actor=officer, note=free_text(label))


def _png():
    return SimpleUploadedFile("bien-lai.png", PNG_BYTES, content_type="image/png")


def test_no_free_text_on_the_public_pages_through_every_status(client, procedure, officer, citizen):
    shown_to_applicant = []

    # Received, processing, supplement asked and answered, fee, result, returned.
    dossier = _submitted(procedure, citizen)
    _receive(dossier, officer, "Ghi chú tiếp nhận")
    _public_pages_are_clean(dossier, S.RECEIVED)
    _start(dossier, officer, "Ghi chú xử lý")
    _public_pages_are_clean(dossier, S.PROCESSING)
    services.dossier_request_supplement(
        dossier_id=dossier.pk, actor=officer, message=free_text("Yêu cầu bổ sung"), fields=["phone"]
    )
    _public_pages_are_clean(dossier, S.SUPPLEMENT_REQUESTED)
    services.dossier_supplement_submit(dossier_id=dossier.pk, user=citizen)
    _public_pages_are_clean(dossier, S.SUPPLEMENTED)
    _start(dossier, officer, "Ghi chú tiếp tục xử lý")
    notice = payments.fee_notice_issue(
        dossier_id=dossier.pk,
        items=[("Lệ phí cấp phép", 15_000_000)],
        actor=officer,
        note=free_text("Ghi chú thông báo phí"),
    )
    _public_pages_are_clean(dossier, S.AWAITING_PAYMENT)
    first = payments.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=_png())
    payments.payment_receipt_reject(
        payment_id=first.pk, actor=officer, reason=free_text("Lý do từ chối chứng từ")
    )
    _public_pages_are_clean(dossier, S.AWAITING_PAYMENT)
    second = payments.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=_png())
    payments.payment_receipt_confirm(payment_id=second.pk, actor=officer)
    _public_pages_are_clean(dossier, S.PROCESSING)
    services.dossier_approve(
        dossier_id=dossier.pk,
        actor=officer,
        result_file=upload("ket-qua.pdf", PDF_BYTES),
        note=free_text("Ghi chú kết quả"),
    )
    _public_pages_are_clean(dossier, S.APPROVED)
    services.dossier_return_result(
        dossier_id=dossier.pk, actor=officer, note=free_text("Ghi chú trả kết quả")
    )
    _public_pages_are_clean(dossier, S.RETURNED)
    shown_to_applicant.append(
        (
            dossier,
            [
                "Ghi chú tiếp nhận",
                "Ghi chú xử lý",
                "Yêu cầu bổ sung",
                "Ghi chú tiếp tục xử lý",
                "Lý do từ chối chứng từ",
                "Ghi chú kết quả",
                "Ghi chú trả kết quả",
            ],
        )
    )

    # Rejected with a reason.
    rejected = _submitted(procedure, citizen)
    _receive(rejected, officer, "Ghi chú tiếp nhận")
    _start(rejected, officer, "Ghi chú xử lý")
    services.dossier_reject(
        dossier_id=rejected.pk, actor=officer, reason=free_text("Lý do từ chối hồ sơ")
    )
    _public_pages_are_clean(rejected, S.REJECTED)
    shown_to_applicant.append((rejected, ["Lý do từ chối hồ sơ"]))

    # Withdrawn by the applicant with a reason.
    withdrawn = _submitted(procedure, citizen)
    _receive(withdrawn, officer, "Ghi chú tiếp nhận")
    services.dossier_withdraw(
        dossier_id=withdrawn.pk, actor=citizen, reason=free_text("Lý do rút hồ sơ")
    )
    _public_pages_are_clean(withdrawn, S.WITHDRAWN)
    shown_to_applicant.append((withdrawn, ["Lý do rút hồ sơ"]))

    # The applicant (signed in, their dossier page) and staff (admin) read every text.
    for d, labels in shown_to_applicant:
        client.force_login(citizen)
        mine = client.get(reverse("dossiers:detail", args=[d.pk])).content.decode()
        client.force_login(officer)
        staff_page = client.get(reverse("admin:dossiers_dossier_change", args=[d.pk]))
        assert staff_page.status_code == 200
        for label in labels:
            assert free_text(label) in mine, label
            assert free_text(label) in staff_page.content.decode(), label
