"""Two notifications for one payment at the same moment confirm it once (PostgreSQL)."""

import threading

from django.db import connection
from django.test import Client

import pytest

from accounts.models import OutgoingEmail
from dossiers.models import DossierEvent
from payments.constants import PaymentStatus
from payments.models import PaymentNotification

from .conftest import ipn_params


@pytest.mark.django_db(transaction=True)
def test_two_ipns_at_once_confirm_the_payment_once(postgres, online_payment):
    params = ipn_params(online_payment)
    barrier = threading.Barrier(2)
    answers: list[str] = []
    errors: list[BaseException] = []

    def notify():
        try:
            barrier.wait(timeout=10)
            answers.append(Client().get("/payments/vnpay/ipn/", params).json()["RspCode"])
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=notify) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert sorted(answers) == ["00", "02"]
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.CONFIRMED
    assert DossierEvent.objects.filter(action="payment_confirmed").count() == 1
    assert OutgoingEmail.objects.filter(subject__contains="confirmed").count() == 1
    assert PaymentNotification.objects.count() == 2
