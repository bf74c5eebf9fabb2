"""Another agency's records in the admin are a 404 (not a 403, not a redirect with a hint).

The citizen side (another user's dossier, file, slip, payment, receipt, notification) is proved
by the app suites; see tests/README.md for the node ids.
"""

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from dossiers.constants import DossierStatus
from payments import services as payments
from tests.dossiers.factories import PNG_BYTES, AgencyFactory, AttachmentFactory, agency_staff
from tests.payments.factories import DossierFactory
from tests.procedures.factories import FeeFactory
from tests.tracking.factories import RatingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(settings):
    """Records of agency B: a dossier with a file, a fee notice, a receipt, an IPN log, a rating."""
    settings.STAFF_MFA_REQUIRED = False
    dossier = DossierFactory(status=DossierStatus.PROCESSING)
    FeeFactory(procedure=dossier.procedure, amount=50_000)
    officer_b = agency_staff(dossier.agency)
    notice = payments.fee_notice_issue(
        dossier_id=dossier.pk, items=[("Lệ phí", 50_000)], actor=officer_b
    )
    payment = payments.payment_receipt_submit(
        fee_notice_id=notice.pk,
        user=dossier.applicant,
        file=SimpleUploadedFile("bien-lai.png", PNG_BYTES),
    )
    payments.payment_notification_record(
        provider="vnpay",
        params={"vnp_TxnRef": payment.txn_ref},
        result_code="04",
        result_message="Invalid amount",
        remote_addr="127.0.0.1",
    )
    rating = RatingFactory(dossier__procedure=dossier.procedure)
    return {
        "dossier": dossier,
        "attachment": AttachmentFactory(dossier=dossier),
        "notice": notice,
        "payment": payment,
        "log": payment.notifications.get(),
        "rating": rating,
    }


@pytest.fixture
def officer_a(client):
    """An officer of agency A with every permission of the apps (but not a superuser)."""
    user = agency_staff(AgencyFactory())
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["dossiers", "payments", "tracking", "procedures"]
        )
    )
    client.force_login(user)
    return user


def _urls(t) -> list[str]:
    d, p = t["dossier"].pk, t["payment"].pk
    return [
        f"/admin/dossiers/dossier/{d}/change/",
        f"/admin/dossiers/dossier/{d}/history/",
        f"/admin/dossiers/dossier/{d}/step/reject/",
        f"/admin/dossiers/dossier/{d}/files/{t['attachment'].pk}/",
        f"/admin/dossiers/dossier/{d}/slips/receipt/",
        f"/admin/payments/feenotice/{t['notice'].pk}/change/",
        f"/admin/payments/feenotice/{t['notice'].pk}/history/",
        f"/admin/payments/payment/{p}/change/",
        f"/admin/payments/payment/{p}/history/",
        f"/admin/payments/payment/{p}/receipt/",
        f"/admin/payments/payment/{p}/confirm-receipt/",
        f"/admin/payments/payment/{p}/reject-receipt/",
        f"/admin/payments/paymentnotification/{t['log'].pk}/change/",
        f"/admin/tracking/rating/{t['rating'].pk}/change/",
    ]


def test_another_agencys_records_are_not_found_in_the_admin(client, theirs, officer_a):
    for url in _urls(theirs):
        assert client.get(url).status_code == 404, url
    for url in _urls(theirs):
        assert client.post(url, {"reason": "x", "expected_status": "processing"}).status_code in (
            404,
            405,
        ), url
    payment = theirs["payment"]
    payment.refresh_from_db()
    assert payment.status == "receipt_submitted"
    theirs["dossier"].refresh_from_db()
    assert theirs["dossier"].status == DossierStatus.AWAITING_PAYMENT


def test_the_same_urls_work_for_the_agencys_own_staff(client, theirs, settings):
    """The 404s above are about the agency, not broken URLs."""
    officer_b = agency_staff(theirs["dossier"].agency)
    officer_b.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["dossiers", "payments", "tracking", "procedures"]
        )
    )
    client.force_login(officer_b)
    for url in _urls(theirs):
        if "/step/" in url or "/slips/" in url:
            continue  # refused for the dossier's state, not found for others: tested elsewhere
        assert client.get(url).status_code == 200, url
