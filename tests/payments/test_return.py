"""The browser's return from the gateway shows the outcome and never confirms."""

import pytest

from payments.constants import PaymentStatus

from .conftest import ipn_params
from .factories import UserFactory

pytestmark = pytest.mark.django_db

RETURN = "/payments/vnpay/return/"


def _text(response) -> str:
    return response.content.decode()


def test_return_before_the_ipn_shows_being_confirmed_never_paid(online_payment, client, citizen):
    client.force_login(citizen)
    response = client.get(RETURN, ipn_params(online_payment))

    assert response.status_code == 200
    body = _text(response)
    assert "Being confirmed" in body
    assert "data-auto-refresh" in body
    assert ">Paid<" not in body
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.INITIATED
    dossier = online_payment.fee_notice.dossier
    dossier.refresh_from_db()
    assert dossier.status == "awaiting_payment"


def test_return_after_the_ipn_shows_paid(online_payment, client, citizen, send_ipn):
    params = ipn_params(online_payment)
    assert send_ipn(params)["RspCode"] == "00"
    client.force_login(citizen)
    body = _text(client.get(RETURN, params))
    assert ">Paid<" in body
    assert f"/payments/{online_payment.pk}/confirmation.pdf" in body
    assert "data-auto-refresh" not in body


def test_return_racing_the_ipn_in_either_order_ends_paid(online_payment, client, citizen, send_ipn):
    params = ipn_params(online_payment)
    client.force_login(citizen)
    assert "Being confirmed" in _text(client.get(RETURN, params))
    assert send_ipn(params)["RspCode"] == "00"
    assert ">Paid<" in _text(client.get(RETURN, params))
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.CONFIRMED


def test_return_with_a_bad_signature_is_ignored(online_payment, client, citizen):
    client.force_login(citizen)
    params = {**ipn_params(online_payment), "vnp_Amount": "1"}
    response = client.get(RETURN, params)
    assert response.status_code == 400
    assert "could not be verified" in _text(response)
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.INITIATED


def test_return_for_someone_elses_payment_is_not_found(online_payment, client):
    client.force_login(UserFactory())
    assert client.get(RETURN, ipn_params(online_payment)).status_code == 404


def test_return_needs_sign_in(online_payment, client):
    response = client.get(RETURN, ipn_params(online_payment))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_cancelled_at_the_bank_shows_why_and_offers_to_try_again(online_payment, client, citizen):
    client.force_login(citizen)
    params = ipn_params(online_payment, vnp_ResponseCode="24", vnp_TransactionStatus="02")
    body = _text(client.get(RETURN, params))
    assert "You cancelled the payment." in body
    assert f"/payments/notice/{online_payment.fee_notice_id}/online/" in body
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.INITIATED  # only the IPN changes it


def test_insufficient_funds_message(online_payment, client, citizen):
    client.force_login(citizen)
    params = ipn_params(online_payment, vnp_ResponseCode="51", vnp_TransactionStatus="02")
    assert "does not have enough money" in _text(client.get(RETURN, params))
