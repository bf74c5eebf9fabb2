"""`manage.py payments_reconcile` asks the sandbox bank's querydr about unsettled payments."""

import json
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

import pytest

from accounts.models import AuditEntry
from payments import tasks
from payments.constants import PaymentStatus
from payments.providers import vnpay
from payments.providers.registry import get_provider
from payments_sandbox.models import SandboxTransaction
from payments_sandbox.services import finish

from .conftest import TMN_CODE

pytestmark = pytest.mark.django_db


def _at_the_bank(client, payment, outcome: str | None) -> SandboxTransaction:
    """The citizen reached the bank with this payment; `outcome` is how it ended there (or not),
    and the IPN never reached the portal."""
    url = get_provider("vnpay").start(payment, RequestFactory().get("/"))
    client.get(url)
    txn = SandboxTransaction.objects.get(txn_ref=payment.txn_ref)
    if outcome is not None:
        finish(txn.pk, outcome)  # outside a test-captured commit: the IPN task never runs
    return txn


def _expire(payment):
    payment.expires_at = timezone.now() - timedelta(minutes=10)
    payment.save(update_fields=["expires_at"])


def _reconcile() -> str:
    out = StringIO()
    call_command("payments_reconcile", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("00", PaymentStatus.CONFIRMED),
        ("51", PaymentStatus.FAILED),
        (None, PaymentStatus.EXPIRED),  # at the bank, never finished: status 01
    ],
)
def test_reconcile_settles_a_payment_whose_ipn_never_arrived(
    client, online_payment, querydr_via_test_client, outcome, status
):
    _at_the_bank(client, online_payment, outcome)
    _expire(online_payment)

    output = _reconcile()

    online_payment.refresh_from_db()
    assert online_payment.status == status
    assert online_payment.txn_ref in output
    request = querydr_via_test_client[0]
    assert request["vnp_Command"] == "querydr" and request["vnp_TmnCode"] == TMN_CODE
    assert request["vnp_TransactionDate"] == vnpay.format_date(online_payment.initiated_at)
    if status == PaymentStatus.CONFIRMED:
        txn = SandboxTransaction.objects.get()
        assert online_payment.provider_reference == txn.transaction_no
        dossier = online_payment.fee_notice.dossier
        dossier.refresh_from_db()
        assert dossier.status == "processing"


def test_the_reconciliation_task_confirming_a_payment_is_audited_with_no_actor(
    client, online_payment, querydr_via_test_client
):
    _at_the_bank(client, online_payment, "00")
    _expire(online_payment)
    before = AuditEntry.objects.count()

    assert tasks.payments_reconcile() == 1

    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.CONFIRMED
    entry = AuditEntry.objects.get(action="dossier_payment_settled")
    assert (entry.actor, entry.succeeded) == (None, True)
    assert entry.object_id == str(online_payment.fee_notice.dossier_id)
    assert entry.changes["status"] == ["awaiting_payment", "processing"]
    assert AuditEntry.objects.count() == before + 1


def test_order_the_gateway_never_saw_expires(online_payment, querydr_via_test_client):
    _expire(online_payment)
    assert "expired" in _reconcile()
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.EXPIRED


def test_payments_not_yet_expired_are_left_alone(client, online_payment, querydr_via_test_client):
    _at_the_bank(client, online_payment, "00")
    _reconcile()
    assert querydr_via_test_client == []
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.INITIATED


def test_answer_with_a_bad_signature_changes_nothing(client, online_payment, monkeypatch):
    _at_the_bank(client, online_payment, "00")
    _expire(online_payment)

    def forged(url, body, timeout=15):
        reply = client.post(
            "/sandbox-bank/api/transaction", json.dumps(body), content_type="application/json"
        ).json()
        return {**reply, "vnp_Amount": "100"}

    monkeypatch.setattr("payments.providers.vnpay.http_post_json", forged)
    assert "error: querydr: invalid signature" in _reconcile()
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.INITIATED


def test_gateway_unreachable_leaves_the_payment_for_the_next_run(online_payment, monkeypatch):
    _expire(online_payment)

    def down(url, body, timeout=15):
        raise ConnectionRefusedError("gateway down")

    monkeypatch.setattr("payments.providers.vnpay.http_post_json", down)
    assert "gateway down" in _reconcile()
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.INITIATED


def test_flagged_payments_wait_for_staff(online_payment, querydr_via_test_client):
    from payments import services

    services.payment_flag(payment_id=online_payment.pk, reason="held by the bank")
    _expire(online_payment)
    _reconcile()
    assert querydr_via_test_client == []
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.INITIATED
