"""Online payment: starting an attempt, and reconciling attempts the gateway never reported."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.constants import DossierStatus

from ..constants import PaymentMethod
from ..models import FeeNotice, Payment
from ..providers.base import GatewayError
from ..providers.registry import ProviderNotAvailable, get_provider
from .common import (
    PaymentError,
    S,
    _lock_notice,
    _new_txn_ref,
)
from .confirmation import payment_confirm, payment_expire, payment_fail, payment_flag
from .transitions import payment_transition

logger = logging.getLogger(__name__)


def payment_start_online(
    *, fee_notice_id: int, user, provider: str, bank_code: str = ""
) -> Payment:
    """Prepare an online attempt the citizen's browser is then sent to the gateway with.

    Reuses the same attempt when one with this gateway and bank is still well within its
    expiry (a double click or a reload); otherwise starts a new one with a new order reference
    (a gateway never accepts the same reference twice).
    Preconditions: `user` owns the dossier; it is awaiting payment; the notice is unpaid and no
    receipt is being checked. Raises `FeeNotice.DoesNotExist` / `PaymentError`.
    """
    now = timezone.now()
    with transaction.atomic():
        notice = _lock_notice(
            FeeNotice.objects.values_list("pk", flat=True).get(
                pk=fee_notice_id, dossier__applicant=user
            )
        )
        if notice.is_paid or notice.dossier.status != DossierStatus.AWAITING_PAYMENT:
            raise PaymentError(_("This fee has already been paid or is no longer due."))
        payments = list(notice.payments.select_for_update().order_by("-id"))
        if any(p.status == S.RECEIPT_SUBMITTED for p in payments):
            raise PaymentError(
                _(
                    "Your payment receipt is being checked by the agency. Please wait for the result."
                )
            )
        for p in payments:
            if (
                p.status == S.INITIATED
                and p.provider == provider
                and p.bank_code == bank_code
                and not p.flagged_for_review
                and p.expires_at
                and p.expires_at > now + timedelta(minutes=2)
            ):
                return p
        payment = next((p for p in payments if p.status == S.PENDING and not p.receipt_file), None)
        if payment is None:
            payment = Payment.objects.create(
                fee_notice=notice, amount=notice.total, txn_ref=_new_txn_ref()
            )

        def start(locked: Payment) -> None:
            locked.method = PaymentMethod.ONLINE
            locked.provider = provider
            locked.bank_code = bank_code
            locked.initiated_at = now
            locked.expires_at = now + timedelta(minutes=settings.VNPAY_EXPIRE_MINUTES)

        payment = payment_transition(payment_id=payment.pk, to_status=S.INITIATED, apply=start)
        payment.fee_notice = notice  # already loaded with its dossier: no query for the gateway
    return payment


def payments_reconcile(*, now=None, grace_minutes: int = 5) -> list[tuple[Payment, str]]:
    """Ask the gateway about every online attempt still `initiated` past its expiry (and not
    already flagged for staff).

    Paid → confirmed; failed → failed; not found or never completed → expired; held by the
    bank or a different amount → flagged. A gateway that cannot be reached leaves the attempt
    for the next run. Returns (payment, outcome) pairs for the report.
    """
    now = now or timezone.now()
    # Flagged attempts wait for staff: querying them every run would change nothing.
    due = Payment.objects.filter(
        status=S.INITIATED,
        method=PaymentMethod.ONLINE,
        flagged_for_review=False,
        expires_at__lt=now - timedelta(minutes=grace_minutes),
    ).select_related("fee_notice__dossier")
    outcomes: list[tuple[Payment, str]] = []
    for payment in due:
        try:
            provider = get_provider(payment.provider)
            answer = provider.query(payment)
        except (ProviderNotAvailable, NotImplementedError):
            outcomes.append((payment, "skipped: provider not available"))
            continue
        except (GatewayError, OSError, ValueError) as exc:
            logger.warning("reconciliation of %s failed: %s", payment.txn_ref, exc)
            outcomes.append((payment, f"error: {exc}"))
            continue
        if not answer.found or answer.transaction_status == "01":
            changed = payment_expire(payment_id=payment.pk, now=now)
            outcomes.append((payment, "expired" if changed else "unchanged"))
        elif answer.amount != payment.amount:
            payment_flag(payment_id=payment.pk, reason="Reconciliation: the amounts differ.")
            outcomes.append((payment, "flagged: amount"))
        elif answer.succeeded:
            payment_confirm(
                payment_id=payment.pk,
                provider_reference=answer.provider_reference,
                bank_code=answer.bank_code,
            )
            outcomes.append((payment, "confirmed"))
        elif answer.transaction_status == "02":
            payment_fail(payment_id=payment.pk, status=S.FAILED, response_code="02")
            outcomes.append((payment, "failed"))
        else:
            payment_flag(
                payment_id=payment.pk,
                reason=f"Reconciliation: transaction status {answer.transaction_status}.",
            )
            outcomes.append((payment, f"flagged: status {answer.transaction_status}"))
    return outcomes
