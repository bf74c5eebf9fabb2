"""Every write to fee notices and payments (STYLE: rooms and doors).

Lock order, everywhere: fee notice → payment → dossier (the dossier inside
`dossier_transition`). Emails and documents are queued on commit only.
"""

from .audit import payment_audit, was_recorded
from .common import ConfirmResult, PaymentError, PaymentForbidden, payment_page_path
from .confirmation import (
    payment_confirm,
    payment_confirm_reviewed,
    payment_confirmation_store,
    payment_expire,
    payment_fail,
    payment_flag,
    payment_gateway_failure,
)
from .fee_notices import fee_notice_issue
from .notifications import payment_notification_handle, payment_notification_record
from .online import payment_start_online, payments_reconcile
from .receipts import payment_receipt_confirm, payment_receipt_reject, payment_receipt_submit
from .transitions import PaymentTransitionRefused, payment_transition

__all__ = [
    "ConfirmResult",
    "PaymentError",
    "PaymentForbidden",
    "PaymentTransitionRefused",
    "fee_notice_issue",
    "payment_audit",
    "was_recorded",
    "payment_confirm",
    "payment_confirm_reviewed",
    "payment_confirmation_store",
    "payment_expire",
    "payment_fail",
    "payment_flag",
    "payment_gateway_failure",
    "payment_notification_handle",
    "payment_notification_record",
    "payment_page_path",
    "payment_receipt_confirm",
    "payment_receipt_reject",
    "payment_receipt_submit",
    "payment_start_online",
    "payment_transition",
    "payments_reconcile",
]
