"""Fixtures for the payment tests: pinned gateway settings, signed gateway messages, transports
that route the sandbox bank's HTTP calls through the Django test client."""

import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

from django.test import Client

import pytest

from payments import services
from tests.procedures.factories import FeeFactory

from .factories import DossierFactory, StaffFactory

DATA = Path(__file__).parent / "data"
TMN_CODE = "SANDBOX1"
SECRET = "TESTSECRETKEY0123456789ABCDEFGHIJ"


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def vnp_sign(params: dict, secret: str = SECRET) -> dict:
    """Sign like the gateway, written independently of the code under test."""
    data = "&".join(
        f"{quote_plus(k)}={quote_plus(str(v))}" for k, v in sorted(params.items()) if v != ""
    )
    digest = hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()
    return {**params, "vnp_SecureHash": digest}


def ipn_params(payment, *, sign: bool = True, **overrides) -> dict:
    """A gateway result for `payment`, from the recorded success payload."""
    params = dict(load("vnpay_ipn_success.json")["params"])
    params.pop("vnp_SecureHash")
    params.update(
        vnp_TxnRef=payment.txn_ref,
        vnp_Amount=str(payment.amount * 100),
        vnp_TmnCode=TMN_CODE,
    )
    params.update(overrides)
    return vnp_sign(params) if sign else params


@pytest.fixture(autouse=True)
def _gateway_settings(settings):
    settings.VNPAY_TMN_CODE = TMN_CODE
    settings.VNPAY_HASH_SECRET = SECRET
    settings.SITE_URL = "http://testserver"
    settings.VNPAY_PAYMENT_URL = "http://testserver/sandbox-bank/pay"
    settings.VNPAY_API_URL = "http://testserver/sandbox-bank/api/transaction"
    settings.PAYMENT_PROVIDERS = ["vnpay"]
    settings.VNPAY_EXPIRE_MINUTES = 15


@pytest.fixture
def staff(db):
    return StaffFactory(is_superuser=True)


@pytest.fixture
def dossier(db):
    d = DossierFactory()
    FeeFactory(procedure=d.procedure, name="Lệ phí cấp giấy phép", amount=100_000)
    FeeFactory(procedure=d.procedure, name="Phí thẩm định", amount=50_000)
    return d


@pytest.fixture
def citizen(dossier):
    return dossier.applicant


@pytest.fixture
def notice(dossier, staff):
    return services.fee_notice_issue(
        dossier_id=dossier.pk,
        items=[("Lệ phí cấp giấy phép", 100_000), ("Phí thẩm định", 50_000)],
        actor=staff,
    )


@pytest.fixture
def online_payment(notice, citizen):
    return services.payment_start_online(
        fee_notice_id=notice.pk, user=citizen, provider="vnpay", bank_code="NCB"
    )


@pytest.fixture
def send_ipn(client):
    def send(params: dict) -> dict:
        response = client.get("/payments/vnpay/ipn/", params)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        return response.json()

    return send


@pytest.fixture
def ipn_via_test_client(monkeypatch):
    """The sandbox bank's IPN call reaches the portal through the test client (no server)."""
    calls = []
    bank = Client()

    def http_get(url: str, timeout: float = 10) -> str:
        parts = urlsplit(url)
        calls.append(url)
        return bank.get(f"{parts.path}?{parts.query}").content.decode()

    monkeypatch.setattr("payments_sandbox.tasks.http_get", http_get)
    return calls


@pytest.fixture
def querydr_via_test_client(monkeypatch):
    """The reconciliation's querydr reaches the sandbox bank's API through the test client."""
    calls = []
    merchant = Client()

    def http_post_json(url: str, body: dict, timeout: float = 15) -> dict:
        calls.append(body)
        response = merchant.post(
            urlsplit(url).path, data=json.dumps(body), content_type="application/json"
        )
        return response.json()

    monkeypatch.setattr("payments.providers.vnpay.http_post_json", http_post_json)
    return calls
