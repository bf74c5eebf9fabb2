"""The sandbox bank speaks the protocol: verifies the redirect, signs the return, sends the IPN."""

import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

from django.test import Client

import pytest

from payments.constants import PaymentStatus
from payments.models import PaymentNotification
from payments.providers import vnpay
from payments_sandbox import tasks as sandbox_tasks
from payments_sandbox.models import SandboxTransaction

from .conftest import SECRET, TMN_CODE, vnp_sign

pytestmark = pytest.mark.django_db

SUCCESS_CARD = "9704198526191432198"
POOR_CARD = "9704195798459170488"


def start(client, notice, bank_code="") -> str:
    response = client.post(
        f"/payments/notice/{notice.pk}/online/", {"provider": "vnpay", "bank_code": bank_code}
    )
    assert response.status_code == 302
    return response["Location"]


def to_card_page(client, notice, bank_code="NCB") -> str:
    response = client.get(start(client, notice, bank_code))
    assert response.status_code == 302
    return response["Location"]


def pay(client, card_url, card=SUCCESS_CARD, **extra):
    return client.post(
        card_url,
        {
            "card_number": card,
            "holder": "Nguyen Van A",
            "issue_date": "07/15",
            "otp": "123456",
            **extra,
        },
    )


def test_bank_list_then_card_then_success_with_ipn_before_the_browser_returns(
    client, notice, citizen, ipn_via_test_client, django_capture_on_commit_callbacks
):
    client.force_login(citizen)
    bank_page = client.get(start(client, notice))
    body = bank_page.content.decode()
    assert "SANDBOX — môi trường thử nghiệm" in body
    assert "150,000 VND" in body and "VIETINBANK" in body and "AGRIBANK" in body
    txn = SandboxTransaction.objects.get()
    card_url = client.post(f"/sandbox-bank/txn/{txn.token}/bank/", {"bank_code": "BIDV"})[
        "Location"
    ]
    assert "Thanh toán qua BIDV" in client.get(card_url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = pay(client, card_url)

    # The IPN went out (eager Celery task on commit) before the browser was redirected.
    assert len(ipn_via_test_client) == 1
    ipn_query = dict(parse_qsl(urlsplit(ipn_via_test_client[0]).query))
    assert urlsplit(ipn_via_test_client[0]).path == "/payments/vnpay/ipn/"
    payment = notice.payments.get()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    assert PaymentNotification.objects.get().result_code == "00"

    # The browser's return carries the same signed result.
    target = urlsplit(response["Location"])
    assert target.path == "/payments/vnpay/return/"
    returned = dict(parse_qsl(target.query))
    assert returned == ipn_query
    assert vnpay.signature_valid(returned, SECRET)
    assert set(returned) == {
        "vnp_Amount",
        "vnp_BankCode",
        "vnp_BankTranNo",
        "vnp_CardType",
        "vnp_OrderInfo",
        "vnp_PayDate",
        "vnp_ResponseCode",
        "vnp_TmnCode",
        "vnp_TransactionNo",
        "vnp_TransactionStatus",
        "vnp_TxnRef",
        "vnp_SecureHash",
    }
    assert returned["vnp_ResponseCode"] == returned["vnp_TransactionStatus"] == "00"
    assert returned["vnp_Amount"] == "15000000" and returned["vnp_BankCode"] == "BIDV"
    assert ">Paid<" in client.get(response["Location"]).content.decode()
    txn.refresh_from_db()
    assert txn.ipn_attempts == 1 and '"00"' in txn.ipn_last_answer


@pytest.mark.parametrize(
    ("action", "card", "code", "status"),
    [
        ("pay", POOR_CARD, "51", PaymentStatus.FAILED),
        ("cancel", "", "24", PaymentStatus.CANCELLED),
        ("timeout", "", "11", PaymentStatus.EXPIRED),
    ],
)
def test_bank_outcomes(
    client,
    notice,
    citizen,
    ipn_via_test_client,
    django_capture_on_commit_callbacks,
    action,
    card,
    code,
    status,
):
    client.force_login(citizen)
    card_url = to_card_page(client, notice)
    with django_capture_on_commit_callbacks(execute=True):
        response = pay(client, card_url, card=card, action=action)
    returned = dict(parse_qsl(urlsplit(response["Location"]).query))
    assert returned["vnp_ResponseCode"] == code and returned["vnp_TransactionStatus"] == "02"
    assert vnpay.signature_valid(returned, SECRET)
    payment = notice.payments.get()
    assert payment.status == status
    # Finished transactions cannot be paid again.
    assert pay(client, card_url)["Location"] == response["Location"]


def test_wrong_otp_or_unknown_card_stays_on_the_bank_page(client, notice, citizen):
    client.force_login(citizen)
    card_url = to_card_page(client, notice)
    response = pay(client, card_url, otp="000000")
    assert response.status_code == 400
    assert "OTP" in response.content.decode()
    response = pay(client, card_url, card="4111111111111111")
    assert response.status_code == 400
    assert not SandboxTransaction.objects.get().is_finished


def test_card_page_help_lists_every_value_the_form_asks_for(client, notice, citizen):
    client.force_login(citizen)
    html = client.get(to_card_page(client, notice)).content.decode()
    help_box = html[html.index('class="sbx-help"') :]
    for value in ("NGUYEN VAN A", "07/15", "123456", "9704198526191432198"):
        assert f"<code>{value}</code>" in help_box
    # The issue date is checked like the other values, so the help is the whole truth.
    response = pay(client, to_card_page(client, notice), issue_date="01/20")
    assert response.status_code == 400
    assert "wrong issue date" in response.content.decode()


def test_tampered_redirect_is_refused_with_sai_chu_ky(client, notice, citizen):
    client.force_login(citizen)
    url = start(client, notice, "NCB").replace("vnp_Amount=15000000", "vnp_Amount=100")
    response = client.get(url)
    assert response.status_code == 400
    assert "Sai chữ ký" in response.content.decode()
    assert not SandboxTransaction.objects.exists()


def test_unknown_merchant_and_malformed_requests_are_refused(client):
    params = {
        "vnp_Version": "2.1.0",
        "vnp_Command": "pay",
        "vnp_TmnCode": "NOBODY01",
        "vnp_Amount": "100000",
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": "1",
        "vnp_OrderInfo": "x",
        "vnp_OrderType": "other",
        "vnp_Locale": "vn",
        "vnp_ReturnUrl": "http://testserver/r",
        "vnp_IpAddr": "1.1.1.1",
        "vnp_CreateDate": "20240521103000",
    }
    assert client.get("/sandbox-bank/pay", vnp_sign(params)).status_code == 400
    bad_version = vnp_sign({**params, "vnp_TmnCode": TMN_CODE, "vnp_Version": "2.0.0"})
    assert "không đúng định dạng" in client.get("/sandbox-bank/pay", bad_version).content.decode()


def test_expired_order_times_out_at_the_bank(client, online_payment, citizen, ipn_via_test_client):
    client.force_login(citizen)
    online_payment.initiated_at -= timedelta(minutes=30)
    online_payment.expires_at -= timedelta(minutes=30)
    online_payment.save()
    from django.test import RequestFactory

    from payments.providers.registry import get_provider

    url = get_provider("vnpay").start(online_payment, RequestFactory().get("/"))
    body = client.get(url).content.decode()
    assert "quá thời gian chờ thanh toán" in body
    txn = SandboxTransaction.objects.get()
    assert txn.response_code == "11"


def test_ipn_delivery_is_retried_until_the_merchant_answers(online_payment, monkeypatch, settings):
    from payments_sandbox.services import finish

    txn = SandboxTransaction.objects.create(
        tmn_code=TMN_CODE,
        txn_ref=online_payment.txn_ref,
        amount="15000000",
        order_info="x",
        create_date="20240521103000",
        return_url="http://testserver/r",
        ip_addr="127.0.0.1",
        bank_code="NCB",
    )
    finish(txn.pk, "00")
    merchant = Client()
    answers = iter([OSError("connection refused"), '{"RspCode":"99","Message":"Unknown error"}'])

    def flaky_get(url, timeout=10):
        answer = next(answers, None)
        if isinstance(answer, Exception):
            raise answer
        if answer is not None:
            return answer
        parts = urlsplit(url)
        return merchant.get(f"{parts.path}?{parts.query}").content.decode()

    monkeypatch.setattr(sandbox_tasks, "http_get", flaky_get)
    result = sandbox_tasks.sandbox_send_ipn.apply(args=[txn.pk])
    assert result.get() == "00"
    txn.refresh_from_db()
    assert txn.ipn_attempts == 3
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.CONFIRMED


def _querydr_body(**overrides):
    body = {
        "vnp_RequestId": "req-1",
        "vnp_Version": "2.1.0",
        "vnp_Command": "querydr",
        "vnp_TmnCode": TMN_CODE,
        "vnp_TxnRef": "unknown",
        "vnp_TransactionDate": "20240521103000",
        "vnp_CreateDate": "20240521120000",
        "vnp_IpAddr": "127.0.0.1",
        "vnp_OrderInfo": "Truy van",
    }
    body.update(overrides)
    body["vnp_SecureHash"] = vnpay.hmac_sha512(
        SECRET, vnpay.pipe_data(body, vnpay.QUERYDR_REQUEST_FIELDS)
    )
    return body


def test_querydr_api_checks_its_checksum_and_answers_signed(client):
    def post(body):
        return client.post(
            "/sandbox-bank/api/transaction", json.dumps(body), content_type="application/json"
        ).json()

    answer = post(_querydr_body())
    assert answer["vnp_ResponseCode"] == "91"
    expected = vnpay.hmac_sha512(SECRET, vnpay.pipe_data(answer, vnpay.QUERYDR_RESPONSE_FIELDS))
    assert answer["vnp_SecureHash"] == expected
    assert post(_querydr_body())["vnp_ResponseCode"] == "94"  # same request id twice
    tampered = {**_querydr_body(vnp_RequestId="req-2"), "vnp_TxnRef": "other"}
    assert post(tampered)["vnp_ResponseCode"] == "97"
