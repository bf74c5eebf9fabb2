"""The sandbox bank: a stand-in payment gateway that speaks the VNPay 2.1.0 protocol.

Development, tests and demos only (mounted when SANDBOX_BANK_ENABLED, never in production).
It receives the merchant's signed redirect exactly as the real gateway does, lets the customer
choose a bank and confirm with a test card, then signs the browser's return and sends the IPN
to the merchant from a Celery task, independently of the browser. It also answers `querydr`.

Test cards (any bank), holder NGUYEN VAN A, OTP 123456:
  9704198526191432198  succeeds
  9704195798459170488  insufficient funds (51)
  9704192181368742     card locked (12)
"""

import json
import uuid

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from payments.constants import BANK_NAMES, BANKS
from payments.providers import vnpay

from .models import SandboxTransaction
from .protocol import merchant_secret, signed_result_query
from .services import finish, transaction_open

TEST_HOLDER = "NGUYEN VAN A"
TEST_OTP = "123456"
TEST_ISSUE_DATE = "07/15"  # MM/YY, as the card form asks for it
TEST_CARDS = {
    "9704198526191432198": "00",
    "9704195798459170488": "51",
    "9704192181368742": "12",
}
REQUIRED_PAY_PARAMS = (
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_Amount",
    "vnp_CurrCode",
    "vnp_TxnRef",
    "vnp_OrderInfo",
    "vnp_OrderType",
    "vnp_Locale",
    "vnp_ReturnUrl",
    "vnp_IpAddr",
    "vnp_CreateDate",
)
# What the gateway's error page says, by code.
ERRORS = {
    "02": "Merchant không hợp lệ (Invalid merchant).",
    "03": "Dữ liệu gửi sang không đúng định dạng (Invalid request data).",
    "94": "Giao dịch đã tồn tại hoặc đã được xử lý (Duplicate transaction).",
    "97": "Sai chữ ký (Invalid signature).",
}


def _error(request, code: str, status: int = 400) -> HttpResponse:
    return render(
        request,
        "payments_sandbox/error.html",
        {"code": code, "message": ERRORS.get(code, ERRORS["03"])},
        status=status,
    )


def _single_valued(querydict) -> dict[str, str] | None:
    params = {}
    for key in querydict:
        values = querydict.getlist(key)
        if len(values) != 1:
            return None
        params[key] = values[0]
    return params


def _banks() -> list[tuple[str, str]]:
    """The bank list as the bank's own (Vietnamese) pages name them, whatever the portal's
    language."""
    with translation.override("vi"):
        return [(code, str(name)) for code, name in BANKS]


def _expired(txn: SandboxTransaction) -> bool:
    expires = vnpay.parse_date(txn.expire_date) if txn.expire_date else None
    return expires is not None and timezone.now() > expires


def _return_redirect(txn: SandboxTransaction) -> HttpResponseRedirect:
    separator = "&" if "?" in txn.return_url else "?"
    return HttpResponseRedirect(f"{txn.return_url}{separator}{signed_result_query(txn)}")


@never_cache
@require_GET
def pay(request: HttpRequest) -> HttpResponse:
    """The gateway's entry point: the merchant's signed redirect lands here."""
    params = _single_valued(request.GET)
    if params is None or any(not params.get(key) for key in REQUIRED_PAY_PARAMS):
        return _error(request, "03")
    secret = merchant_secret(params["vnp_TmnCode"])
    if secret is None:
        return _error(request, "02")
    if not vnpay.signature_valid(params, secret):
        return _error(request, "97")
    if (
        params["vnp_Version"] != vnpay.VERSION
        or params["vnp_Command"] != "pay"
        or params["vnp_CurrCode"] != "VND"
        or not params["vnp_Amount"].isdigit()
        or int(params["vnp_Amount"]) <= 0
        or vnpay.parse_date(params["vnp_CreateDate"]) is None
        or (params.get("vnp_ExpireDate") and vnpay.parse_date(params["vnp_ExpireDate"]) is None)
        or params["vnp_Locale"] not in ("vn", "en")
        or not params["vnp_OrderInfo"].isascii()
    ):
        return _error(request, "03")
    fields = {
        "amount": params["vnp_Amount"],
        "order_info": params["vnp_OrderInfo"],
        "create_date": params["vnp_CreateDate"],
        "expire_date": params.get("vnp_ExpireDate", ""),
        "return_url": params["vnp_ReturnUrl"],
        "ip_addr": params["vnp_IpAddr"],
        "locale": params["vnp_Locale"],
    }
    txn, created = transaction_open(
        tmn_code=params["vnp_TmnCode"], txn_ref=params["vnp_TxnRef"], fields=fields
    )
    if not created and (txn.is_finished or txn.amount != fields["amount"]):
        return _error(request, "94")
    if _expired(txn):
        txn = finish(txn.pk, "11")
        return render(request, "payments_sandbox/timeout.html", {"txn": txn})
    bank = params.get("vnp_BankCode", "")
    if bank in BANK_NAMES:
        txn.bank_code = bank
        txn.save(update_fields=["bank_code"])
        return redirect("sandbox_bank:card", txn.token)
    return render(request, "payments_sandbox/bank_list.html", {"txn": txn, "banks": _banks()})


@never_cache
@require_POST
def choose_bank(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    txn = get_object_or_404(SandboxTransaction, token=token)
    if txn.is_finished:
        return _return_redirect(txn)
    action = request.POST.get("action", "")
    if action == "cancel":
        return _return_redirect(finish(txn.pk, "24"))
    bank = request.POST.get("bank_code", "")
    if bank not in BANK_NAMES:
        return render(
            request,
            "payments_sandbox/bank_list.html",
            {"txn": txn, "banks": _banks(), "error": "Vui lòng chọn ngân hàng (choose a bank)."},
            status=400,
        )
    txn.bank_code = bank
    txn.save(update_fields=["bank_code"])
    return redirect("sandbox_bank:card", txn.token)


@never_cache
@require_http_methods(["GET", "POST"])
def card(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """Card or account confirmation: the customer pays, cancels, or lets it time out."""
    txn = get_object_or_404(SandboxTransaction, token=token)
    if txn.is_finished:
        return _return_redirect(txn)
    errors: dict[str, str] = {}
    values = {"card_number": "", "holder": "", "issue_date": "", "otp": ""}
    if request.method == "POST":
        action = request.POST.get("action", "pay")
        if action == "cancel":
            return _return_redirect(finish(txn.pk, "24"))
        if action == "timeout" or _expired(txn):
            return _return_redirect(finish(txn.pk, "11"))
        values = {key: request.POST.get(key, "").strip() for key in values}
        number = values["card_number"].replace(" ", "")
        if number not in TEST_CARDS:
            errors["card_number"] = "Số thẻ không hợp lệ (invalid card number)."
        if values["holder"].upper() != TEST_HOLDER:
            errors["holder"] = "Tên chủ thẻ không đúng (wrong card holder)."
        if values["issue_date"].replace(" ", "") != TEST_ISSUE_DATE:
            errors["issue_date"] = "Ngày phát hành không đúng (wrong issue date)."
        if values["otp"] != TEST_OTP:
            errors["otp"] = "Mã OTP không đúng (wrong OTP)."
        if not errors:
            txn.card_type = "ATM"
            txn.save(update_fields=["card_type"])
            return _return_redirect(finish(txn.pk, TEST_CARDS[number]))
    return render(
        request,
        "payments_sandbox/card.html",
        {
            "txn": txn,
            "bank_name": dict(_banks()).get(txn.bank_code, txn.bank_code),
            "amount": int(txn.amount) // 100,
            "errors": errors,
            "values": values,
            "test_cards": TEST_CARDS,
            "test_holder": TEST_HOLDER,
            "test_otp": TEST_OTP,
            "test_issue_date": TEST_ISSUE_DATE,
        },
        status=400 if errors else 200,
    )


def _api_answer(reply: dict, secret: str) -> JsonResponse:
    reply["vnp_SecureHash"] = vnpay.hmac_sha512(
        secret, vnpay.pipe_data(reply, vnpay.QUERYDR_RESPONSE_FIELDS)
    )
    return JsonResponse(reply)


@csrf_exempt
@require_POST
def api_transaction(request: HttpRequest) -> JsonResponse:
    """The merchant API (querydr): an order's status, signed over "|"-joined fields."""
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict):
        return JsonResponse({"vnp_ResponseCode": "03", "vnp_Message": "Invalid data"}, status=400)
    body = {key: str(value) for key, value in body.items()}
    base = {
        "vnp_ResponseId": uuid.uuid4().hex,
        "vnp_Command": body.get("vnp_Command", ""),
        "vnp_TmnCode": body.get("vnp_TmnCode", ""),
        "vnp_TxnRef": body.get("vnp_TxnRef", ""),
    }
    secret = merchant_secret(body.get("vnp_TmnCode", ""))
    if secret is None:
        return JsonResponse({**base, "vnp_ResponseCode": "02", "vnp_Message": "Invalid merchant"})
    if body.get("vnp_Command") != "querydr" or any(
        not body.get(name) for name in vnpay.QUERYDR_REQUEST_FIELDS
    ):
        return _api_answer(
            {**base, "vnp_ResponseCode": "03", "vnp_Message": "Invalid data"}, secret
        )
    expected = vnpay.hmac_sha512(secret, vnpay.pipe_data(body, vnpay.QUERYDR_REQUEST_FIELDS))
    if not vnpay.digest_matches(expected, body.get("vnp_SecureHash", "")):
        return _api_answer(
            {**base, "vnp_ResponseCode": "97", "vnp_Message": "Invalid Checksum"}, secret
        )
    if not cache.add(f"sandbox-querydr:{body['vnp_TmnCode']}:{body['vnp_RequestId']}", 1, 86400):
        return _api_answer(
            {**base, "vnp_ResponseCode": "94", "vnp_Message": "Duplicate request"}, secret
        )
    txn = SandboxTransaction.objects.filter(
        tmn_code=body["vnp_TmnCode"],
        txn_ref=body["vnp_TxnRef"],
        create_date=body["vnp_TransactionDate"],
    ).first()
    if txn is None:
        return _api_answer(
            {**base, "vnp_ResponseCode": "91", "vnp_Message": "Transaction not found"}, secret
        )
    return _api_answer(
        {
            **base,
            "vnp_ResponseCode": "00",
            "vnp_Message": "QueryDR Success",
            "vnp_Amount": txn.amount,
            "vnp_BankCode": txn.bank_code,
            "vnp_PayDate": txn.pay_date,
            "vnp_TransactionNo": txn.transaction_no if txn.is_finished else "",
            "vnp_TransactionType": "01",
            "vnp_TransactionStatus": txn.transaction_status or "01",
            "vnp_OrderInfo": txn.order_info,
            "vnp_PromotionCode": "",
            "vnp_PromotionAmount": "",
        },
        secret,
    )
