"""Shared pieces of the payment services: errors, results, locks and small helpers.

Lock order, everywhere: fee notice → payment → dossier (the dossier inside
`dossier_transition`). The notice's row lock serialises everything that can settle it, so two
notifications, a notification and a staff click, or two browser tabs cannot both win.
"""

import secrets
from dataclasses import dataclass
from typing import cast

from django.utils import timezone

from celery import current_app
from celery.contrib.django.task import DjangoTask

from ..constants import PaymentStatus
from ..models import FeeNotice, Payment
from ..selectors import dossier_url

S = PaymentStatus


class PaymentError(Exception):
    """A request the payment's state does not allow; the message is shown to the person."""


class PaymentForbidden(PaymentError):
    """The access policy (`payments.policy`) refuses the actor this step; `audit` is the reason
    kept in the staff audit log."""

    def __init__(self, message: str, audit: str = "") -> None:
        super().__init__(message)
        self.audit = audit or message


@dataclass(frozen=True)
class ConfirmResult:
    payment: Payment
    # False when the payment was already confirmed: nothing was done.
    changed: bool


# --- Helpers -----------------------------------------------------------------------------------


def _new_txn_ref() -> str:
    """An order reference: the time in GMT+7 and six random digits, unique per merchant."""
    for _attempt in range(5):
        ref = f"{timezone.localtime():%y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"
        if not Payment.objects.filter(txn_ref=ref).exists():
            return ref
    raise RuntimeError("could not draw a free order reference")


def _queue_task(name: str) -> DjangoTask:
    """A task of `payments.tasks`, found by name: the tasks call the services, never the
    reverse, so the services do not import them (`PaymentsConfig.ready` registers them).
    Queue it with `delay_on_commit`."""
    return cast(DjangoTask, current_app.tasks[f"payments.tasks.{name}"])


def payment_page_path(dossier) -> str:
    """Where the applicant reads the fee notice and pays: the dossier page's payment panel."""
    return dossier_url(dossier) + "#payment"


def _lock_notice(fee_notice_id: int) -> FeeNotice:
    return (
        FeeNotice.objects.select_for_update(of=("self",))
        .select_related("dossier", "dossier__agency", "dossier__applicant")
        .get(pk=fee_notice_id)
    )


def _lock_payment(payment_id: int) -> tuple[FeeNotice, Payment]:
    notice_id = Payment.objects.values_list("fee_notice_id", flat=True).get(pk=payment_id)
    notice = _lock_notice(notice_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    return notice, payment


def _flag(payment: Payment, reason: str) -> bool:
    """Mark for staff review (on the locked payment); False when this reason is already there."""
    if payment.flagged_for_review and reason in payment.flag_reason:
        return False
    payment.flagged_for_review = True
    payment.flag_reason = f"{payment.flag_reason}\n{reason}".strip()
    return True
