"""The VNPay 2.1.0 protocol: known-answer signature vectors, dates, order info, querydr hashes."""

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from django.test import RequestFactory

import pytest

from payments.providers import vnpay
from payments.providers.registry import ProviderNotAvailable, get_provider

from .conftest import SECRET, load

# The canonical string, written by hand from the protocol's rule: keys sorted, each key and
# value URL-encoded with quote_plus (space -> "+", "/" -> "%2F", ":" -> "%3A"), joined with "&".
HAND_WRITTEN = (
    "vnp_Amount=15000000&vnp_BankCode=NCB&vnp_Command=pay&vnp_CreateDate=20240521103000"
    "&vnp_CurrCode=VND&vnp_ExpireDate=20240521104500&vnp_IpAddr=203.162.4.190&vnp_Locale=vn"
    "&vnp_OrderInfo=Thanh+toan+phi+le+phi+ho+so+CVT-240521-0007+240521103000123456"
    "&vnp_OrderType=other"
    "&vnp_ReturnUrl=https%3A%2F%2Fdichvucong.example.gov.vn%2Fpayments%2Fvnpay%2Freturn%2F"
    "&vnp_TmnCode=SANDBOX1&vnp_TxnRef=240521103000123456&vnp_Version=2.1.0"
)


def test_pay_request_signature_known_answer():
    vector = load("vnpay_pay_request.json")
    expected_hash = hmac.new(SECRET.encode(), HAND_WRITTEN.encode(), hashlib.sha512).hexdigest()

    assert vnpay.canonical_query(vector["params"]) == HAND_WRITTEN == vector["hash_data"]
    assert vnpay.sign(vector["params"], SECRET) == expected_hash == vector["vnp_SecureHash"]
    assert len(expected_hash) == 128


def test_signature_ignores_hash_fields_and_order_of_parameters():
    params = dict(reversed(list(load("vnpay_pay_request.json")["params"].items())))
    params["vnp_SecureHashType"] = "HmacSHA512"
    params["vnp_SecureHash"] = "whatever"
    assert vnpay.canonical_query(params) == HAND_WRITTEN


def test_signed_url_carries_the_signed_string_and_hash():
    vector = load("vnpay_pay_request.json")
    url = vnpay.signed_url("https://gw.example/pay", vector["params"], SECRET)
    base, query = url.split("?", 1)
    assert base == "https://gw.example/pay"
    assert query == f"{HAND_WRITTEN}&vnp_SecureHash={vector['vnp_SecureHash']}"
    decoded = dict(parse_qsl(query))
    assert decoded["vnp_ReturnUrl"] == vector["params"]["vnp_ReturnUrl"]
    assert vnpay.signature_valid(decoded, SECRET)


def test_recorded_gateway_result_verifies_and_any_change_breaks_it():
    params = load("vnpay_ipn_success.json")["params"]
    assert vnpay.signature_valid(params, SECRET)
    for key in [k for k in params if k != "vnp_SecureHash"]:
        tampered = {**params, key: params[key] + "1"}
        assert not vnpay.signature_valid(tampered, SECRET), key
    assert not vnpay.signature_valid(params, "another-secret")
    assert not vnpay.signature_valid({**params, "vnp_SecureHash": ""}, SECRET)
    assert not vnpay.signature_valid({**params, "vnp_SecureHash": "ả" * 128}, SECRET)
    # Upper-case hex is the same digest.
    upper = {**params, "vnp_SecureHash": params["vnp_SecureHash"].upper()}
    assert vnpay.signature_valid(upper, SECRET)


def test_signature_is_compared_in_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(vnpay.hmac, "compare_digest", spy)
    assert vnpay.signature_valid(load("vnpay_ipn_success.json")["params"], SECRET)
    assert len(calls) == 1


@pytest.mark.parametrize("server_tz", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_dates_are_in_ho_chi_minh_time_whatever_the_server_zone(settings, server_tz):
    settings.TIME_ZONE = server_tz
    moment = datetime(2024, 5, 21, 3, 30, 0, tzinfo=UTC)
    assert vnpay.format_date(moment) == "20240521103000"
    assert vnpay.parse_date("20240521103000") == moment


def test_order_info_is_plain_ascii():
    text = vnpay.ascii_text("Thanh toán lệ phí hồ sơ Đăng ký tên miền “.vn” & <b>#1</b>")
    assert text == "Thanh toan le phi ho so Dang ky ten mien .vn b 1 /b"
    assert text.isascii()


def test_amount_from_protocol_accepts_whole_vnd_only():
    assert vnpay.amount_from_protocol("15000000") == 150_000
    assert vnpay.amount_from_protocol("15000050") is None
    assert vnpay.amount_from_protocol("-100") is None
    assert vnpay.amount_from_protocol("") is None


@pytest.mark.django_db
def test_payment_request_has_every_protocol_field(online_payment, settings):
    settings.TIME_ZONE = "UTC"
    online_payment.initiated_at = datetime(2024, 5, 21, 3, 30, tzinfo=UTC)
    online_payment.expires_at = datetime(2024, 5, 21, 3, 45, tzinfo=UTC)
    request = RequestFactory().get("/", REMOTE_ADDR="203.162.4.190")
    url = get_provider("vnpay").start(online_payment, request)

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == settings.VNPAY_PAYMENT_URL
    params = dict(parse_qsl(parts.query))
    dossier = online_payment.fee_notice.dossier
    assert params == {
        "vnp_Version": "2.1.0",
        "vnp_Command": "pay",
        "vnp_TmnCode": "SANDBOX1",
        "vnp_Amount": "15000000",
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": online_payment.txn_ref,
        "vnp_OrderInfo": f"Thanh toan phi le phi ho so {dossier.code} {online_payment.txn_ref}",
        "vnp_OrderType": "other",
        "vnp_Locale": "en",
        "vnp_ReturnUrl": "http://testserver/payments/vnpay/return/",
        "vnp_IpAddr": "203.162.4.190",
        "vnp_CreateDate": "20240521103000",
        "vnp_ExpireDate": "20240521104500",
        "vnp_BankCode": "NCB",
        "vnp_SecureHash": params["vnp_SecureHash"],
    }
    assert vnpay.signature_valid(params, SECRET)


def test_querydr_checksums_join_fields_with_pipes_in_protocol_order():
    recorded = load("vnpay_querydr_response.json")
    reply = recorded["reply"]
    assert vnpay.pipe_data(reply, vnpay.QUERYDR_RESPONSE_FIELDS) == recorded["hash_data"]
    assert recorded["hash_data"].startswith(
        "4f2c9a1b7d3e4c5f8a6b0c1d2e3f4a5b|querydr|00|QueryDR Success|SANDBOX1|"
    )
    expected = hmac.new(SECRET.encode(), recorded["hash_data"].encode(), hashlib.sha512)
    assert reply["vnp_SecureHash"] == expected.hexdigest()

    request = {
        "vnp_RequestId": "r1",
        "vnp_Version": "2.1.0",
        "vnp_Command": "querydr",
        "vnp_TmnCode": "SANDBOX1",
        "vnp_TxnRef": "T1",
        "vnp_TransactionDate": "20240521103000",
        "vnp_CreateDate": "20240521120000",
        "vnp_IpAddr": "127.0.0.1",
        "vnp_OrderInfo": "Truy van giao dich T1",
    }
    assert vnpay.pipe_data(request, vnpay.QUERYDR_REQUEST_FIELDS) == (
        "r1|2.1.0|querydr|SANDBOX1|T1|20240521103000|20240521120000|127.0.0.1|Truy van giao dich T1"
    )


def test_provider_registry_uses_settings(settings):
    assert get_provider("vnpay").identifier == "vnpay"
    settings.PAYMENT_PROVIDERS = []
    with pytest.raises(ProviderNotAvailable):
        get_provider("vnpay")
    settings.PAYMENT_PROVIDERS = ["payments.providers.vnpay.VNPayProvider"]
    assert get_provider("vnpay").verbose_name


def test_sandbox_bank_in_production_is_a_system_check_error(settings):
    from payments.checks import sandbox_bank_not_in_production

    settings.PRODUCTION = True
    settings.SANDBOX_BANK_ENABLED = True
    assert [e.id for e in sandbox_bank_not_in_production(None)] == ["payments.E001"]
    settings.SANDBOX_BANK_ENABLED = False
    assert sandbox_bank_not_in_production(None) == []
