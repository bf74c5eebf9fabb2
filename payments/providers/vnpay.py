"""VNPay payment gateway, protocol version 2.1.0.

The protocol, as the gateway and this module speak it:
- The citizen's browser is redirected to `VNPAY_PAYMENT_URL` with the order's parameters
  (`vnp_Amount` is the amount ×100, dates are `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh, the order
  information is ASCII) and `vnp_SecureHash`: the HMAC-SHA512, keyed with the merchant's secret,
  of the parameters sorted by key, each key and value URL-encoded (`quote_plus`), joined as
  `key=value` with `&` — `vnp_SecureHash` and `vnp_SecureHashType` excluded, and empty values
  left out (the gateway never sends them).
- The gateway calls the merchant's IPN URL server to server (GET, the same signed parameters):
  that call, not the browser's return, is the source of truth. The merchant answers JSON
  `{"RspCode": .., "Message": ..}`.
- The browser comes back to `vnp_ReturnUrl` with the same signed parameters: it only shows.
- `querydr` (POST JSON to `VNPAY_API_URL`) asks for an order's status; its hash is HMAC-SHA512
  over fixed fields joined with "|".
"""

import hashlib
import hmac
import json
import unicodedata
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote_plus, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ..constants import BANKS
from .base import GatewayError, GatewayResponse, PaymentProvider, client_ip

VERSION = "2.1.0"
GMT7 = ZoneInfo("Asia/Ho_Chi_Minh")
DATE_FORMAT = "%Y%m%d%H%M%S"
UNSIGNED = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})

# querydr: the fields its checksum covers, in the protocol's order.
QUERYDR_REQUEST_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
QUERYDR_RESPONSE_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)
# querydr answers (vnp_ResponseCode of the API call, not of the payment).
QUERYDR_OK = "00"
# The merchant server's address, which querydr asks for; the gateway only records it.
SERVER_IP = "127.0.0.1"
QUERYDR_NOT_FOUND = "91"


# --- Protocol primitives -----------------------------------------------------------------------


def format_date(moment: datetime) -> str:
    """`yyyyMMddHHmmss` in Asia/Ho_Chi_Minh, whatever the server's time zone."""
    return moment.astimezone(GMT7).strftime(DATE_FORMAT)


def parse_date(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=GMT7)
    except (TypeError, ValueError):
        return None


def ascii_text(text: str, max_length: int = 255) -> str:
    """Vietnamese folded to plain ASCII without special characters, as vnp_OrderInfo requires."""
    text = text.replace("đ", "d").replace("Đ", "D")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    kept = "".join(ch if ch.isalnum() or ch in " .,:-_/" else " " for ch in folded)
    return " ".join(kept.split())[:max_length]


def canonical_query(params: Mapping[str, str]) -> str:
    """The string the signature covers (and the query string sent): sorted, encoded, joined."""
    return "&".join(
        f"{quote_plus(str(key))}={quote_plus(str(value))}"
        for key, value in sorted(params.items())
        if key not in UNSIGNED and value not in ("", None)
    )


def hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha512).hexdigest()


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac_sha512(secret, canonical_query(params))


def digest_matches(expected: str, received: str) -> bool:
    """Constant-time comparison of hex digests (case-insensitive, any input)."""
    return hmac.compare_digest(
        expected.lower().encode("utf-8"), (received or "").lower().encode("utf-8")
    )


def signature_valid(params: Mapping[str, str], secret: str) -> bool:
    if not secret:
        return False
    return digest_matches(sign(params, secret), params.get("vnp_SecureHash", ""))


def signed_query(params: Mapping[str, str], secret: str) -> str:
    """The query string of a signed message: the canonical parameters and their hash."""
    query = canonical_query(params)
    return f"{query}&vnp_SecureHash={hmac_sha512(secret, query)}"


def signed_url(base_url: str, params: Mapping[str, str], secret: str) -> str:
    return f"{base_url}?{signed_query(params, secret)}"


def pipe_data(params: Mapping[str, object], fields: tuple[str, ...]) -> str:
    return "|".join("" if params.get(name) is None else str(params.get(name)) for name in fields)


def http_post_json(url: str, body: dict, timeout: float = 15) -> dict:
    """POST JSON and read the JSON answer. Raises OSError / ValueError on failure."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an HTTP URL: {url}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310 # scheme checked above
        return json.loads(response.read().decode("utf-8"))


# --- The provider ------------------------------------------------------------------------------


def order_info(payment) -> str:
    dossier = payment.fee_notice.dossier
    return ascii_text(f"Thanh toan phi le phi ho so {dossier.code or dossier.pk} {payment.txn_ref}")


def amount_from_protocol(value: str) -> int | None:
    """vnp_Amount (×100, digits only) in whole VND; None when it is not a whole VND amount."""
    if not value or not value.isdigit() or int(value) % 100:
        return None
    return int(value) // 100


class VNPayProvider(PaymentProvider):
    identifier = "vnpay"
    verbose_name = _("VNPay online payment")

    # Read at call time so tests and deployments can change them.
    @property
    def tmn_code(self) -> str:
        return settings.VNPAY_TMN_CODE

    @property
    def secret(self) -> str:
        return settings.VNPAY_HASH_SECRET

    def bank_choices(self) -> list[tuple[str, str]]:
        return [(code, str(name)) for code, name in BANKS]

    def payment_params(self, payment, *, ip_addr: str, locale: str) -> dict[str, str]:
        """The pay request's parameters, unsigned."""
        params = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(payment.amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": payment.txn_ref,
            "vnp_OrderInfo": order_info(payment),
            "vnp_OrderType": "other",
            "vnp_Locale": locale,
            "vnp_ReturnUrl": settings.SITE_URL + reverse("payments:vnpay_return"),
            "vnp_IpAddr": ip_addr,
            "vnp_CreateDate": format_date(payment.initiated_at),
            "vnp_ExpireDate": format_date(payment.expires_at),
        }
        if payment.bank_code:
            params["vnp_BankCode"] = payment.bank_code
        return params

    def start(self, payment, request: HttpRequest) -> str:
        locale = "vn" if (translation.get_language() or "vi").startswith("vi") else "en"
        params = self.payment_params(payment, ip_addr=client_ip(request), locale=locale)
        return signed_url(settings.VNPAY_PAYMENT_URL, params, self.secret)

    def _read(self, params: Mapping[str, str]) -> GatewayResponse:
        if not signature_valid(params, self.secret):
            return GatewayResponse(valid=False, raw=dict(params))
        return GatewayResponse(
            valid=True,
            txn_ref=params.get("vnp_TxnRef", ""),
            amount=amount_from_protocol(params.get("vnp_Amount", "")),
            response_code=params.get("vnp_ResponseCode", ""),
            transaction_status=params.get("vnp_TransactionStatus", ""),
            provider_reference=params.get("vnp_TransactionNo", ""),
            bank_code=params.get("vnp_BankCode", ""),
            raw=dict(params),
        )

    def handle_return(self, params: Mapping[str, str]) -> GatewayResponse:
        """Check the browser's return. Shows only: confirmation comes from the IPN."""
        return self._read(params)

    def handle_notification(self, params: Mapping[str, str]) -> GatewayResponse:
        """The IPN, checked and read; a notification for another terminal is not found.
        `payments.services.payment_notification_handle` acts on it."""
        response = self._read(params)
        if response.valid and params.get("vnp_TmnCode") != self.tmn_code:
            return replace(response, found=False)
        return response

    def amount_mismatch_reason(self, response: GatewayResponse, *, expected: int) -> str:
        return f"IPN amount {response.raw.get('vnp_Amount')!r} ≠ {expected * 100}"

    def query(self, payment) -> GatewayResponse:
        """querydr: the gateway's view of one order. Raises GatewayError / OSError."""
        now = timezone.now()
        body = {
            "vnp_RequestId": uuid.uuid4().hex,
            "vnp_Version": VERSION,
            "vnp_Command": "querydr",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": payment.txn_ref,
            "vnp_OrderInfo": ascii_text(f"Truy van giao dich {payment.txn_ref}"),
            "vnp_TransactionDate": format_date(payment.initiated_at),
            "vnp_CreateDate": format_date(now),
            "vnp_IpAddr": SERVER_IP,
        }
        body["vnp_SecureHash"] = hmac_sha512(self.secret, pipe_data(body, QUERYDR_REQUEST_FIELDS))
        reply = http_post_json(settings.VNPAY_API_URL, body)
        if not isinstance(reply, dict):
            raise GatewayError("querydr: the answer is not a JSON object")
        expected = hmac_sha512(self.secret, pipe_data(reply, QUERYDR_RESPONSE_FIELDS))
        if not digest_matches(expected, str(reply.get("vnp_SecureHash", ""))):
            raise GatewayError("querydr: invalid signature on the answer")
        code = str(reply.get("vnp_ResponseCode", ""))
        if code == QUERYDR_NOT_FOUND:
            return GatewayResponse(valid=True, found=False, txn_ref=payment.txn_ref, raw=reply)
        if code != QUERYDR_OK:
            raise GatewayError(f"querydr answered {code}: {reply.get('vnp_Message', '')}")
        if str(reply.get("vnp_TxnRef", "")) != payment.txn_ref:
            raise GatewayError("querydr: the answer is about another order")
        status = str(reply.get("vnp_TransactionStatus", ""))
        return GatewayResponse(
            valid=True,
            txn_ref=payment.txn_ref,
            amount=amount_from_protocol(str(reply.get("vnp_Amount", ""))),
            # The API call's code is "00"; the payment's own result is its transaction status.
            response_code="00" if status == "00" else status,
            transaction_status=status,
            provider_reference=str(reply.get("vnp_TransactionNo", "") or ""),
            bank_code=str(reply.get("vnp_BankCode", "") or ""),
            raw=reply,
        )
