"""Settling a payment: confirmation (the one path), failure, expiry, flags."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.services import (
    HistoryEntry,
    TransitionRefused,
    dossier_notify,
    dossier_payment_settled,
    officer_notify,
)

from ..constants import (
    CANCELLED_CODES,
    EXPIRED_CODES,
    HELD_FOR_REVIEW_CODES,
    UNSUCCESSFUL,
    payment_may_move,
)
from ..history import Msg
from ..models import FeeNotice, Payment
from .audit import payment_audited
from .common import (
    ConfirmResult,
    PaymentError,
    S,
    _flag,
    _lock_payment,
    _queue_task,
    payment_page_path,
)
from .transitions import payment_transition


def payment_confirm(
    *,
    payment_id: int,
    provider_reference: str = "",
    bank_code: str = "",
    response_code: str = "00",
    actor=None,
) -> ConfirmResult:
    """THE confirmation path: the money arrived (gateway notification, reconciliation, staff).

    Locked on the notice and the payment; returns `changed=False` at once when the payment is
    already confirmed, so a repeated notification does nothing. An online attempt the portal
    had marked failed, cancelled or expired is still confirmed when the gateway says it was
    paid (the money is real). The (provider, provider reference) unique constraint backs this:
    one gateway transaction never confirms two payments.
    Side effects: the payment `confirmed`; the notice paid; the dossier back to `processing`
    (role system, or staff when `actor` is given); the applicant notified with a link to the
    payment confirmation PDF, rendered by a task on commit; when paid at the bank (no `actor`),
    the officer who issued the notice is told the dossier is back in processing. If the notice
    was already paid by another payment, or the dossier no longer waits for payment, nothing
    moves and the payment is flagged for staff (a refund may be due).
    Raises `PaymentError` for a rejected receipt.
    """
    with transaction.atomic():
        notice, payment = _lock_payment(payment_id)
        if payment.status == S.CONFIRMED:
            return ConfirmResult(payment=payment, changed=False)
        if payment.status == S.REJECTED:
            raise PaymentError(_("A rejected receipt cannot be confirmed."))
        return _confirm_locked(
            notice,
            payment,
            actor=actor,
            gateway={
                "provider_reference": provider_reference,
                "bank_code": bank_code,
                "response_code": response_code,
            },
        )


def payment_confirm_reviewed(*, payment_id: int, actor, request=None) -> ConfirmResult:
    """Staff confirm an online payment the gateway held or reported with another amount, once
    the agency's account shows the money: `payment_confirm`, recorded in the staff audit log (done or refused)."""
    with payment_audited(
        "payment_confirm_reviewed", actor=actor, request=request, payment_id=payment_id
    ):
        return payment_confirm(payment_id=payment_id, actor=actor)


def _confirm_locked(
    notice: FeeNotice, payment: Payment, *, actor, gateway: dict[str, str] | None = None
) -> ConfirmResult:
    """Confirm a payment whose notice and row the caller holds locked (see `payment_confirm`).

    `gateway` holds the gateway's codes to keep on the payment (empty values keep the old ones).
    """
    now = timezone.now()
    dossier = notice.dossier
    gateway = {name: value for name, value in (gateway or {}).items() if value}
    bank_code = gateway.get("bank_code", payment.bank_code)
    paid_twice = notice.is_paid
    flag_reason = ""
    resumed = False
    if paid_twice:
        flag_reason = "Paid twice: the fee notice was already paid by another payment (refund?)."
    else:
        notice.paid_at = now
        notice.save(update_fields=["paid_at"])
        try:
            # An audited dossier step (the system's when no one acted: the gateway's word, the
            # reconciliation task); its own savepoint, so a refusal leaves its audit entry.
            dossier_payment_settled(
                dossier_id=dossier.pk,
                actor=actor,
                history=HistoryEntry(
                    action="payment_confirmed",
                    message=Msg.CONFIRMED_ONLINE if bank_code else Msg.CONFIRMED,
                    params={"total": payment.amount, "bank": bank_code},
                ),
            )
            resumed = True
        except TransitionRefused:
            flag_reason = f"Paid while the dossier was {dossier.status}: check it (refund?)."

    def confirm(locked: Payment) -> None:
        for name, value in gateway.items():
            setattr(locked, name, value)
        locked.confirmed_at = now
        locked.confirmed_by = actor
        if flag_reason:
            _flag(locked, flag_reason)

    payment = payment_transition(payment_id=payment.pk, to_status=S.CONFIRMED, apply=confirm)
    payment.fee_notice = notice
    if paid_twice:
        return ConfirmResult(payment=payment, changed=True)
    dossier.refresh_from_db(fields=["status"])
    dossier_notify(
        dossier=dossier,
        template="payment_confirmed",
        context={
            "dossier": dossier,
            "notice": notice,
            "payment": payment,
            "confirmation_url": settings.SITE_URL
            + reverse("payments:confirmation_pdf", args=[payment.pk]),
            "payment_url": settings.SITE_URL + payment_page_path(dossier),
        },
        link=payment_page_path(dossier),
    )
    if resumed and actor is None:
        # Paid at the bank, not confirmed by staff: the officer learns the dossier is back.
        officer_notify(
            officer=notice.created_by,
            dossier=dossier,
            template="payment_paid_online",
            context={"payment": payment},
        )
    payment_id = payment.pk
    # robust: with the broker (Redis) down the confirmation still stands and the gateway gets
    # its answer; the PDF view draws a missing confirmation on first download.
    transaction.on_commit(
        lambda: _queue_task("payment_confirmation_render").delay(payment_id), robust=True
    )
    return ConfirmResult(payment=payment, changed=True)


def payment_gateway_failure(
    *,
    payment_id: int,
    response_code: str,
    transaction_status: str = "",
    provider_reference: str = "",
    bank_code: str = "",
) -> bool:
    """The gateway reported an online attempt that did not pay. Returns whether it changed.

    24 → cancelled, 11 → expired, 07 (money taken, held by the bank) → flagged for staff and
    left open, anything else → failed. Never touches a confirmed payment, and a payment that
    already ended stays as it is.
    """
    if response_code in HELD_FOR_REVIEW_CODES:
        return payment_flag(
            payment_id=payment_id,
            reason=f"Gateway code {response_code}: held by the bank as suspicious.",
            response_code=response_code,
            provider_reference=provider_reference,
        )
    if response_code in CANCELLED_CODES:
        status = S.CANCELLED
    elif response_code in EXPIRED_CODES:
        status = S.EXPIRED
    else:
        status = S.FAILED
    return payment_fail(
        payment_id=payment_id,
        status=status,
        response_code=response_code or transaction_status,
        bank_code=bank_code,
    )


def payment_fail(
    *, payment_id: int, status: str = S.FAILED, response_code: str = "", bank_code: str = ""
) -> bool:
    """End an online attempt without payment (failed, cancelled or expired).

    Only an attempt still open (pending, initiated) changes; a confirmed payment is never
    overwritten, and one that already ended stays as it is. Returns whether it changed.
    """
    if status not in UNSUCCESSFUL:
        raise ValueError(status)

    def record(locked: Payment) -> None:
        if response_code:
            locked.response_code = response_code
        if bank_code:
            locked.bank_code = bank_code

    with transaction.atomic():
        _notice, payment = _lock_payment(payment_id)
        # Confirmed, or already ended: the table has no such move, and nothing changes.
        if not payment_may_move(payment.status, status):
            return False
        payment_transition(payment_id=payment.pk, to_status=status, apply=record)
    return True


def payment_expire(*, payment_id: int, now=None) -> bool:
    """An online attempt past its expiry that the gateway never completed ends as expired."""
    now = now or timezone.now()
    with transaction.atomic():
        _notice, payment = _lock_payment(payment_id)
        if payment.status != S.INITIATED or (payment.expires_at and payment.expires_at > now):
            return False
        payment_transition(payment_id=payment.pk, to_status=S.EXPIRED)
    return True


def payment_flag(
    *, payment_id: int, reason: str, response_code: str = "", provider_reference: str = ""
) -> bool:
    """Mark a payment for staff review (wrong amount, held by the bank, paid twice).

    Never changes the status. Returns False when it was already flagged for this reason.
    """
    with transaction.atomic():
        _notice, payment = _lock_payment(payment_id)
        changed = _flag(payment, reason)
        if response_code and payment.status != S.CONFIRMED:
            payment.response_code = response_code
        if provider_reference and not payment.provider_reference:
            payment.provider_reference = provider_reference
        if changed:
            payment.save()
    return changed


def payment_confirmation_store(*, payment_id: int) -> bool:
    """Issue and keep the payment confirmation PDF once (idempotent under the row lock): with
    the QR code of its verification URL, signed by the agency (`signing.services.document_issue`)
    and served from storage afterwards. Raises `SigningUnavailable` (an OSError: the task
    retries) when signing is on but cannot be done now."""
    from signing.constants import DocumentKind
    from signing.services import document_issue

    from ..documents import payment_confirmation_pdf

    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("fee_notice__dossier__agency", "fee_notice__dossier__procedure")
            .get(pk=payment_id)
        )
        if payment.status != S.CONFIRMED or payment.confirmation_pdf:
            return False
        dossier = payment.fee_notice.dossier
        document = document_issue(
            kind=DocumentKind.PAYMENT_CONFIRMATION,
            dossier_code=dossier.code or str(dossier.pk),
            render=lambda url: payment_confirmation_pdf(payment, verify_url=url),
            issue_key=f"payment:{payment.pk}",
        )
        payment.confirmation_pdf.name = document.file.name
        payment.save(update_fields=["confirmation_pdf", "updated_at"])
    return True
