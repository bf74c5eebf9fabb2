"""The one place a payment's status changes: locked, checked against the table, logged."""

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _

from ..constants import PaymentStatus, payment_may_move
from ..models import Payment
from .common import PaymentError

logger = logging.getLogger(__name__)


class PaymentTransitionRefused(PaymentError):
    """The move is not in `PAYMENT_TRANSITIONS`; nothing was changed."""


def payment_transition(
    *,
    payment_id: int,
    to_status: str,
    apply: Callable[[Payment], None] | None = None,
) -> Payment:
    """Move a payment to `to_status` and return it as saved.

    Preconditions: the move (current → `to_status`) is in `PAYMENT_TRANSITIONS`. Callers that
    settle a fee hold the fee notice's lock first (lock order: fee notice → payment → dossier).
    Runs in a transaction with the payment row locked (`select_for_update`); `apply` may set
    other fields of the locked payment (gateway codes, receipt, who confirmed…) before it is
    saved, and an exception it raises rolls the move back.
    Side effects: none beyond the row; callers queue documents and emails on commit
    (`delay_on_commit`), so nothing leaves before the move is committed.
    Raises `PaymentTransitionRefused` with a translated message when the move is not allowed
    (nothing changes), `Payment.DoesNotExist` for an unknown id.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        current = payment.status
        if not payment_may_move(current, to_status):
            raise PaymentTransitionRefused(
                _("A payment in status “%(now)s” cannot move to “%(to)s”.")
                % {"now": PaymentStatus(current).label, "to": PaymentStatus(to_status).label}
            )
        payment.status = to_status
        if apply is not None:
            apply(payment)
        payment.save()
        logger.info("payment %s: %s → %s", payment.txn_ref, current, to_status)
    return payment
