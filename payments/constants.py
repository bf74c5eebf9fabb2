"""Payment statuses, methods and the gateway codes the VNPay protocol uses (DESIGN §5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PaymentMethod(models.TextChoices):
    OFFLINE = "offline", _("Bank transfer or at the agency")
    ONLINE = "online", _("Online payment")


class PaymentStatus(models.TextChoices):
    # Offline: pending → receipt_submitted → confirmed | rejected.
    # Online: pending → initiated → confirmed | failed | cancelled | expired.
    PENDING = "pending", _("Awaiting payment")
    RECEIPT_SUBMITTED = "receipt_submitted", _("Receipt being checked")
    INITIATED = "initiated", _("Online payment started")
    CONFIRMED = "confirmed", _("Paid")
    REJECTED = "rejected", _("Receipt rejected")
    FAILED = "failed", pgettext_lazy("payment status", "Failed")
    CANCELLED = "cancelled", pgettext_lazy("payment status", "Cancelled")
    EXPIRED = "expired", pgettext_lazy("payment status", "Expired")


S = PaymentStatus

# A payment that may still become confirmed without the citizen starting over.
OPEN = (S.PENDING, S.RECEIPT_SUBMITTED, S.INITIATED)
# An online attempt that ended without money taken; a success from the gateway still wins.
UNSUCCESSFUL = (S.FAILED, S.CANCELLED, S.EXPIRED)

# The allowed moves of a payment's status, and the only ones: `payment_transition`
# (payments.services) refuses any other. A payment is created `pending`.
PAYMENT_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        # Offline: the applicant sends a receipt; staff confirm or reject it.
        (S.PENDING, S.RECEIPT_SUBMITTED),
        (S.RECEIPT_SUBMITTED, S.CONFIRMED),
        (S.RECEIPT_SUBMITTED, S.REJECTED),
        # Online: the citizen leaves for the gateway; the attempt is paid or ends without money.
        (S.PENDING, S.INITIATED),
        (S.INITIATED, S.CONFIRMED),
        *((status, end) for status in (S.PENDING, S.INITIATED) for end in UNSUCCESSFUL),
        # Money the gateway reports as taken is real: it confirms even an attempt that had
        # ended, or a pending payment (staff confirming after review).
        (S.PENDING, S.CONFIRMED),
        *((status, S.CONFIRMED) for status in UNSUCCESSFUL),
    }
)


def payment_may_move(from_status: str, to_status: str) -> bool:
    return (from_status, to_status) in PAYMENT_TRANSITIONS


PAYMENT_STATUS_CSS: dict[str, str] = {
    S.PENDING: "status-waiting",
    S.RECEIPT_SUBMITTED: "status-waiting",
    S.INITIATED: "status-waiting",
    S.CONFIRMED: "status-done",
    S.REJECTED: "status-bad",
    S.FAILED: "status-bad",
    S.CANCELLED: "status-bad",
    S.EXPIRED: "status-bad",
}


class IpnResult(models.TextChoices):
    """The merchant's answers to the gateway's IPN (RspCode), checked in this order."""

    INVALID_SIGNATURE = "97", "Invalid signature"
    ORDER_NOT_FOUND = "01", "Order not found"
    INVALID_AMOUNT = "04", "Invalid amount"
    ALREADY_CONFIRMED = "02", "Order already confirmed"
    CONFIRM_SUCCESS = "00", "Confirm Success"
    UNKNOWN_ERROR = "99", "Unknown error"


# The gateway's vnp_ResponseCode for a payment, as the citizen reads it.
RESPONSE_MESSAGES = {
    "00": _("The payment succeeded."),
    "07": _(
        "The money was taken but the bank is holding the transaction for review. "
        "Agency staff will check it; you do not need to pay again."
    ),
    "09": _("Your card or account is not registered for internet banking at your bank."),
    "10": _("The card or account details were entered wrongly more than three times."),
    "11": _("The time allowed for the payment ran out. Please start again."),
    "12": _("Your card or account is locked."),
    "13": _("The one-time password (OTP) was wrong. Please start again."),
    "24": _("You cancelled the payment."),
    "51": _("Your account does not have enough money for this payment."),
    "65": _("Your account has reached its daily transaction limit."),
    "75": _("The bank is under maintenance. Please try later or choose another bank."),
    "79": _("The payment password was entered wrongly too many times. Please start again."),
    "99": _("The payment did not go through."),
}
DEFAULT_RESPONSE_MESSAGE = RESPONSE_MESSAGES["99"]

# Response codes that end an online attempt as cancelled or expired rather than failed.
CANCELLED_CODES = {"24"}
EXPIRED_CODES = {"11"}
# The bank took the money but holds the transaction: staff review it, nothing is failed.
HELD_FOR_REVIEW_CODES = {"07"}

# Banks offered on the bank-choice pages (VNPay's bank codes).
BANKS = [
    ("NCB", _("NCB Bank")),
    ("VIETCOMBANK", "Vietcombank"),
    ("VIETINBANK", "VietinBank"),
    ("BIDV", "BIDV"),
    ("AGRIBANK", "Agribank"),
    ("TECHCOMBANK", "Techcombank"),
    ("MBBANK", "MB Bank"),
    ("ACB", "ACB"),
    ("VPBANK", "VPBank"),
    ("SACOMBANK", "Sacombank"),
]
BANK_NAMES = dict(BANKS)

# Accepted receipt files: a photo or a scan of the payment document.
RECEIPT_FILE_TYPES = ["pdf", "jpg", "png"]
RECEIPT_MAX_SIZE_MB = 10

# What the notification (IPN) log keeps of one request. A gateway's notification carries about
# fifteen short parameters; anyone can send the endpoint thousands of long ones, so the log keeps
# the first few, gateway parameters (vnp_*) first, each cut to the protocol's longest value, and
# counts the rest.
IPN_LOG_MAX_PARAMS = 40
IPN_LOG_MAX_KEY_CHARS = 64
IPN_LOG_MAX_VALUE_CHARS = 255

# The history entries payments writes on a dossier, as staff read them (dossiers shows them).
HISTORY_ACTIONS = {
    "fee_notice_issued": pgettext_lazy("history action", "Fee notice issued"),
    "payment_confirmed": pgettext_lazy("history action", "Payment confirmed"),
    "payment_receipt_submitted": pgettext_lazy("history action", "Payment receipt sent"),
    "payment_receipt_rejected": pgettext_lazy("history action", "Payment receipt refused"),
}
