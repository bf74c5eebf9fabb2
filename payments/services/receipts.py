"""Offline payment: the applicant's receipt (chứng từ nộp phí), checked by staff."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.uploads import UploadRejected, check_file, store_file, uploads_undone_on_error
from dossiers.constants import DossierStatus
from dossiers.services import dossier_history_add, dossier_notify, officer_notify

from ..constants import RECEIPT_FILE_TYPES, RECEIPT_MAX_SIZE_MB, PaymentMethod
from ..history import Msg
from ..models import FeeNotice, Payment
from .audit import payment_audited
from .common import (
    ConfirmResult,
    PaymentError,
    S,
    _lock_notice,
    _lock_payment,
    _new_txn_ref,
    payment_page_path,
)
from .confirmation import _confirm_locked
from .transitions import payment_transition


def payment_receipt_submit(*, fee_notice_id: int, user, file) -> Payment:
    """The applicant uploads a photo or scan of the payment document (chứng từ nộp phí).

    Preconditions: `user` owns the dossier; it is awaiting payment; the notice is unpaid and no
    receipt is being checked… unless it is the very same file (a double click), which returns
    the same payment unchanged. After a rejection a new payment is created.
    Side effects: the file stored privately; the payment becomes `receipt_submitted`; a history
    event; the officer who issued the notice is told (notification and email, after commit).
    Raises `FeeNotice.DoesNotExist` for someone else's notice, `PaymentError` otherwise
    (including a file refused by the upload rules).
    """
    try:
        checked = check_file(file, file_types=RECEIPT_FILE_TYPES, max_size_mb=RECEIPT_MAX_SIZE_MB)
    except UploadRejected as exc:
        raise PaymentError(str(exc)) from exc

    with uploads_undone_on_error(), transaction.atomic():
        notice = _lock_notice(
            FeeNotice.objects.values_list("pk", flat=True).get(
                pk=fee_notice_id, dossier__applicant=user
            )
        )
        dossier = notice.dossier
        payments = list(notice.payments.select_for_update().order_by("-id"))
        submitted = next((p for p in payments if p.status == S.RECEIPT_SUBMITTED), None)
        if submitted is not None and submitted.receipt_sha256 == checked.sha256:
            return submitted
        if notice.is_paid or dossier.status != DossierStatus.AWAITING_PAYMENT:
            raise PaymentError(_("This fee has already been paid or is no longer due."))
        if submitted is not None:
            raise PaymentError(
                _(
                    "Your payment receipt is being checked by the agency. Please wait for the result."
                )
            )
        payment = next(
            (p for p in payments if p.status == S.PENDING and p.method != PaymentMethod.ONLINE),
            None,
        )
        if payment is None:
            payment = Payment.objects.create(
                fee_notice=notice, amount=notice.total, txn_ref=_new_txn_ref()
            )
        stored = store_file(file, checked=checked, folder="payments/receipts")

        def attach(locked: Payment) -> None:
            locked.method = PaymentMethod.OFFLINE
            locked.receipt_file.name = stored.name
            locked.receipt_name = stored.original_name
            locked.receipt_size = stored.size
            locked.receipt_sha256 = stored.sha256
            locked.receipt_content_type = stored.content_type
            locked.receipt_uploaded_at = timezone.now()
            locked.reject_reason = ""

        payment = payment_transition(
            payment_id=payment.pk, to_status=S.RECEIPT_SUBMITTED, apply=attach
        )
        payment.fee_notice = notice
        dossier_history_add(
            dossier=dossier,
            action="payment_receipt_submitted",
            actor=user,
            message=Msg.RECEIPT_SUBMITTED,
        )
        officer_notify(
            officer=notice.created_by,
            dossier=dossier,
            template="payment_receipt_submitted",
            context={"payment": payment},
            admin_path=reverse("admin:payments_payment_change", args=[payment.pk]),
        )
    return payment


def payment_receipt_confirm(*, payment_id: int, actor, request=None) -> ConfirmResult:
    """Staff checked the receipt and the money arrived: the payment is confirmed.

    Preconditions: the payment is an offline receipt being checked (`receipt_submitted`) or
    already confirmed (then nothing happens). Side effects: as `payment_confirm`.
    Raises `PaymentError` in any other state. Recorded in the staff audit log, done or refused
    (`request`: the page's, for its address).
    """
    with (
        payment_audited(
            "payment_receipt_confirm", actor=actor, request=request, payment_id=payment_id
        ) as done,
        transaction.atomic(),
    ):
        notice, payment = _lock_payment(payment_id)
        if payment.status == S.CONFIRMED:
            return ConfirmResult(payment=payment, changed=False)
        if payment.method != PaymentMethod.OFFLINE or payment.status != S.RECEIPT_SUBMITTED:
            raise PaymentError(_("Only a submitted payment receipt can be confirmed."))
        # Recorded before the dossier's settlement (its own entry), in this transaction.
        done(status=S.CONFIRMED)
        return _confirm_locked(notice, payment, actor=actor)


def payment_receipt_reject(*, payment_id: int, actor, reason: str, request=None) -> Payment:
    """Staff reject a receipt with a reason the applicant reads; the applicant may upload again.

    Preconditions: the payment is `receipt_submitted`; a reason is given.
    Side effects: status `rejected`, a history event, a notification and email to the applicant.
    Raises `PaymentError` otherwise. Recorded in the staff audit log, done (with the reason)
    or refused (`request`: the page's, for its address).
    """
    with payment_audited(
        "payment_receipt_reject", actor=actor, request=request, payment_id=payment_id
    ) as done:
        reason = (reason or "").strip()
        if not reason:
            raise PaymentError(_("Give the reason for rejecting the receipt."))
        payment = _reject(payment_id=payment_id, actor=actor, reason=reason)
        done(message=reason)
    return payment


def _reject(*, payment_id: int, actor, reason: str) -> Payment:
    with transaction.atomic():
        notice, payment = _lock_payment(payment_id)
        if payment.status != S.RECEIPT_SUBMITTED:
            raise PaymentError(_("Only a submitted payment receipt can be rejected."))

        def refuse(locked: Payment) -> None:
            locked.reject_reason = reason
            locked.confirmed_by = None

        payment = payment_transition(payment_id=payment.pk, to_status=S.REJECTED, apply=refuse)
        payment.fee_notice = notice
        dossier = notice.dossier
        dossier_history_add(
            dossier=dossier,
            action="payment_receipt_rejected",
            actor=actor,
            message=Msg.RECEIPT_REJECTED,
            note=reason,
        )
        dossier_notify(
            dossier=dossier,
            template="payment_receipt_rejected",
            context={
                "dossier": dossier,
                "notice": notice,
                "reason": reason,
                "payment_url": settings.SITE_URL + payment_page_path(dossier),
            },
            link=payment_page_path(dossier),
        )
    return payment
