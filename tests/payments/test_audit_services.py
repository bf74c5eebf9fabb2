"""The payment steps are audited by the services, whoever calls them: the admin, a task, a
management command or code calling the service directly."""

from django.contrib.auth.models import Permission
from django.test import RequestFactory

import pytest

from accounts.models import AuditEntry
from dossiers.constants import DossierStatus
from payments import services
from payments.constants import PaymentStatus
from tests.dossiers.factories import AgencyFactory, agency_staff

from .test_services import png

pytestmark = pytest.mark.django_db


def test_a_fee_notice_issued_by_the_service_is_audited_with_the_dossier_step(notice, staff):
    rows = list(AuditEntry.objects.order_by("pk").values_list("actor", "action", "succeeded"))
    assert rows == [
        (staff.pk, "dossier_request_payment", True),
        (staff.pk, "fee_notice_issue", True),
    ]
    entry = AuditEntry.objects.get(action="fee_notice_issue")
    assert entry.object_id == str(notice.pk)
    assert entry.changes["total"] == 150_000


def test_a_receipt_confirmed_by_calling_the_service_is_audited(notice, citizen, staff):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.44")
    services.payment_receipt_confirm(payment_id=payment.pk, actor=staff, request=request)

    entry = AuditEntry.objects.get(action="payment_receipt_confirm")
    assert (entry.actor, entry.succeeded, entry.object_id) == (staff, True, str(payment.pk))
    assert entry.changes["status"] == [PaymentStatus.RECEIPT_SUBMITTED, PaymentStatus.CONFIRMED]
    assert entry.ip_address == "192.0.2.44"
    settled = AuditEntry.objects.get(action="dossier_payment_settled")
    assert (settled.actor, settled.succeeded) == (staff, True)
    assert settled.changes["status"] == [DossierStatus.AWAITING_PAYMENT, DossierStatus.PROCESSING]


def test_a_receipt_rejected_twice_by_the_service_is_audited_done_then_refused(
    notice, citizen, staff
):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    services.payment_receipt_reject(payment_id=payment.pk, actor=staff, reason="Ảnh mờ")
    with pytest.raises(services.PaymentError):
        services.payment_receipt_reject(payment_id=payment.pk, actor=staff, reason="Lần hai")
    rows = list(
        AuditEntry.objects.filter(action="payment_receipt_reject")
        .order_by("pk")
        .values_list("succeeded", "message")
    )
    assert rows == [(True, "Ảnh mờ"), (False, "Only a submitted payment receipt can be rejected.")]


def _officer(agency, *codenames):
    user = agency_staff(agency, groups=())
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="payments", codename__in=codenames)
    )
    return user


def test_the_payments_policy_refuses_an_officer_without_the_permission_whoever_calls(
    notice, citizen
):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    reader = _officer(notice.dossier.agency, "view_payment")
    with pytest.raises(services.PaymentForbidden):
        services.payment_receipt_confirm(payment_id=payment.pk, actor=reader)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.RECEIPT_SUBMITTED
    entry = AuditEntry.objects.get(action="payment_receipt_confirm")
    assert (entry.actor, entry.succeeded, entry.message) == (reader, False, "permission denied")


def test_the_payments_policy_refuses_another_agencys_officer(notice, citizen):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    other = _officer(AgencyFactory(), "change_payment")
    with pytest.raises(services.PaymentForbidden):
        services.payment_receipt_reject(payment_id=payment.pk, actor=other, reason="Không rõ")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.RECEIPT_SUBMITTED
    assert not AuditEntry.objects.get(action="payment_receipt_reject").succeeded


def test_a_fee_notice_needs_the_issue_permission(dossier):
    officer = _officer(dossier.agency, "change_payment")
    with pytest.raises(services.PaymentForbidden):
        services.fee_notice_issue(dossier_id=dossier.pk, items=[("Lệ phí", 1000)], actor=officer)
    assert dossier.fee_notices.count() == 0
    entry = AuditEntry.objects.get(action="fee_notice_issue")
    assert (entry.succeeded, entry.changes) == (False, {"dossier": str(dossier.pk)})
