"""Staff work on fees in the admin: issue a fee notice, check receipts, review payments.

Every step is a button or action that calls a service; statuses are never edited directly.
Staff see only their own agency's notices and payments (others: 404).
"""

from .fee_notices import FeeNoticeAdmin
from .payments import PaymentAdmin, PaymentNotificationAdmin

__all__ = ["FeeNoticeAdmin", "PaymentAdmin", "PaymentNotificationAdmin"]
