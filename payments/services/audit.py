"""The staff audit log of the payment steps (accounts.AuditEntry), written by the services.

Confirming or rejecting a receipt, confirming a reviewed payment and issuing a fee notice are
recorded here, done or refused, whoever calls them: the admin, a task, a management command.
`request` is the HTTP request the step came from, if any (the log keeps its address).
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction

from accounts.services import audit_record
from dossiers.services import DossierError

from .. import policy
from ..models import Payment
from .common import PaymentError, PaymentForbidden

# The refusals a payment step records; anything else is a bug and is raised unrecorded.
REFUSALS = (PaymentError, DossierError)


def _status(payment_id) -> str | None:
    return Payment.objects.filter(pk=payment_id).values_list("status", flat=True).first()


def payment_audit(
    *,
    action: str,
    obj,
    actor,
    succeeded: bool = True,
    message: str = "",
    request=None,
    seen_status: str | None = None,
    now_status: str | None = None,
    changes: dict | None = None,
):
    """Append one entry for `action` on `obj` (a payment gets the status the actor saw, and the
    status now, or after the step when `now_status` says it ahead). Call it outside the step's
    transaction for a refusal, so it stays."""
    changes = dict(changes or {})
    if isinstance(obj, Payment):
        changes["status"] = [seen_status or obj.status, now_status or _status(obj.pk)]
    return audit_record(
        actor=actor,
        action=action,
        obj=obj,
        changes=changes,
        succeeded=succeeded,
        message=str(message),
        request=request,
    )


def was_recorded(exc: BaseException) -> bool:
    """Whether a refusal raised by a payment service is already in the audit log."""
    return getattr(exc, "audit_recorded", False)


@contextmanager
def payment_audited(
    action: str,
    *,
    actor,
    request=None,
    payment_id: int | None = None,
    agency_id: int | None = None,
    refused_changes: dict | None = None,
) -> Iterator[Callable[..., None]]:
    """Run the body as the payment step `action` of `actor`, asked of the access policy
    (`payments.policy`) first, and recorded done or refused.

    The step is on the payment `payment_id`, or on a dossier of `agency_id` (a fee notice).

    The body may call the yielded `done(obj=None, message="", status=None, **changes)` once
    the step is sure to be taken: the entry is then written inside the step's transaction
    (before the entries of the dossier steps the body takes next), with the object made, a
    message, and the payment's status after the step when it is known ahead; otherwise it is
    written when the body ends. A refusal rolls the body back and is recorded after the
    rollback, with the refusal's message (the audit log is append-only)."""
    payment = (
        Payment.objects.select_related("fee_notice__dossier").get(pk=payment_id)
        if payment_id is not None
        else None
    )
    seen = payment.status if payment is not None else None
    if payment is not None:
        agency_id = payment.fee_notice.dossier.agency_id
    written = False
    record = functools.partial(
        payment_audit, action=action, actor=actor, request=request, seen_status=seen
    )

    def done(obj=None, message: str = "", status: str | None = None, **changes) -> None:
        nonlocal written
        obj = obj if obj is not None else payment
        record(obj=obj, message=message, now_status=status, changes=changes)
        written = True

    try:
        refusal = policy.step_refusal(actor, action, agency_id)
        if refusal is not None:
            raise PaymentForbidden(refusal.message, audit=refusal.audit)
        with transaction.atomic():
            yield done
            if not written:
                done()
    except REFUSALS as exc:
        message = exc.audit if isinstance(exc, PaymentForbidden) else str(exc)
        record(obj=payment, succeeded=False, message=message, changes=refused_changes)
        setattr(exc, "audit_recorded", True)  # noqa: B010  (read by `was_recorded`)
        raise
