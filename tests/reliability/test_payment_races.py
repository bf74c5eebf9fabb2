"""The browser's return, the gateway's success notification and a late "failed" notification,
arriving in every order and all at once (PostgreSQL): the payment ends confirmed, once, with one
email; a failure never overwrites a confirmation.

Single-message cases (tampered or wrong-amount IPN, a repeated IPN) are in tests/payments."""

import itertools
import threading

from django.db import connection
from django.test import Client

import pytest

from accounts.models import OutgoingEmail
from dossiers.constants import DossierStatus
from dossiers.models import DossierEvent
from payments import services as payments
from payments.constants import PaymentStatus
from tests.payments.conftest import SECRET, TMN_CODE, ipn_params
from tests.payments.factories import DossierFactory, StaffFactory
from tests.procedures.factories import FeeFactory

IPN = "/payments/vnpay/ipn/"
RETURN = "/payments/vnpay/return/"


@pytest.fixture
def gateway(settings):
    settings.VNPAY_TMN_CODE = TMN_CODE
    settings.VNPAY_HASH_SECRET = SECRET
    settings.PAYMENT_PROVIDERS = ["vnpay"]
    settings.SITE_URL = "http://testserver"


def _online_payment():
    dossier = DossierFactory()
    FeeFactory(procedure=dossier.procedure, amount=150_000)
    notice = payments.fee_notice_issue(
        dossier_id=dossier.pk, items=[("Lệ phí", 150_000)], actor=StaffFactory(is_superuser=True)
    )
    return payments.payment_start_online(
        fee_notice_id=notice.pk, user=dossier.applicant, provider="vnpay", bank_code="NCB"
    )


def _messages(payment) -> dict:
    success = ipn_params(payment)
    failure = ipn_params(payment, vnp_ResponseCode="24", vnp_TransactionStatus="02")
    return {"success": (IPN, success), "failure": (IPN, failure), "return": (RETURN, success)}


def _send(kind: str, url: str, params: dict, user) -> int:
    client = Client()
    if kind == "return":
        client.force_login(user)
    return client.get(url, params).status_code


def _assert_paid_once(payment) -> None:
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    dossier = payment.fee_notice.dossier
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING
    assert DossierEvent.objects.filter(dossier=dossier, action="payment_confirmed").count() == 1
    assert (
        OutgoingEmail.objects.filter(user=dossier.applicant, subject__contains="confirmed").count()
        == 1
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "order", list(itertools.permutations(["return", "success", "failure"])), ids="-then-".join
)
def test_every_arrival_order_ends_paid_once(gateway, order):
    payment = _online_payment()
    messages = _messages(payment)
    for kind in order:
        url, params = messages[kind]
        assert _send(kind, url, params, payment.fee_notice.dossier.applicant) == 200
    _assert_paid_once(payment)


@pytest.mark.django_db(transaction=True)
def test_all_three_at_the_same_instant_end_paid_once(postgres, gateway):
    payment = _online_payment()
    applicant = payment.fee_notice.dossier.applicant
    barrier = threading.Barrier(3)
    answers: dict[str, int] = {}
    errors: list[BaseException] = []

    def arrive(kind: str, url: str, params: dict) -> None:
        try:
            barrier.wait(timeout=10)
            answers[kind] = _send(kind, url, params, applicant)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=arrive, args=(kind, *message))
        for kind, message in _messages(payment).items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert answers == {"success": 200, "failure": 200, "return": 200}
    _assert_paid_once(payment)
