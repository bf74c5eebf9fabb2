"""The agency's side: receive, process, ask for a supplement, approve, reject, return.

Every step is one `dossier_transition` (locked, checked, recorded in the history) plus its side
effects in the same transaction; emails leave through the outbox after commit. Each service is
`@audited`: the access policy (`dossiers.policy`) is asked first, and the attempt, done or
refused, goes to the staff audit log; `request`, when the step comes from a page, gives the log
the client's address. A refusal of the policy raises `StepForbidden`.
"""

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.uploads import RESULT_FILE_TYPES, check_file, uploads_undone_on_error
from procedures.models import DossierComponent

from .. import policy
from ..calendar import add_working_days
from ..constants import SUPPLEMENT_MAX_DAYS, DossierStatus, HandOverKind, ResultDelivery, Role
from ..history import Msg
from ..models import Dossier, SupplementRequest
from ..selectors import APPLICANT_FIELD_LABELS, info_field_labels
from .codes import dossier_code_next, lookup_secret_generate
from .notify import applicant_language, dossier_notify
from .results import result_keep
from .steps import audited
from .transitions import DossierError, HistoryEntry, TransitionResult, dossier_transition
from .workflow import process_begin, process_close, process_forward, step_pause, step_resume

S = DossierStatus
# Codes and due dates follow the agency's calendar day (DESIGN §4), whatever the server's zone.
AGENCY_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def agency_today(now=None):
    return timezone.localtime(now or timezone.now(), AGENCY_TZ).date()


def _due_date_param(d: Dossier) -> dict:
    """The event's parameter for the due date the move has just set."""
    return {"due_date": d.due_date.isoformat()} if d.due_date else {}


@audited("receive")
def dossier_receive(
    *, dossier_id: int, actor, expected_status: str | None = None, note: str = "", request=None
) -> TransitionResult:
    """Receive a complete dossier (submitted, or supplemented before receipt → received).

    Side effects, in the receiving transaction: the dossier code (from the agency's per-day
    counter, race-free, never reused) and the lookup secret unless already issued; the receipt
    time and officer; the due date, `processing_days` working days counted from the day after
    receipt (agency's calendar). The applicant is notified (email with the code, the due date
    and the link to the receipt slip) after commit.
    Raises `TransitionRefused` (status does not allow it, or changed meanwhile) or
    `StepForbidden` (the policy refuses the actor: another agency's dossier, or a step their
    groups do not allow).
    """
    with transaction.atomic():

        def receive(d: Dossier) -> None:
            now = timezone.now()
            day = agency_today(now)
            if not d.code:
                d.code = dossier_code_next(agency=d.agency, day=day)
                d.lookup_secret = lookup_secret_generate()
            d.received_at = now
            d.received_by = actor
            d.due_date = add_working_days(day, d.procedure.processing_days)

        result = dossier_transition(
            dossier_id=dossier_id,
            to_status=S.RECEIVED,
            role=Role.STAFF,
            actor=actor,
            action="receive",
            message=Msg.RECEIVED,
            params=_due_date_param,
            note=note,
            expected_status=expected_status,
            apply=receive,
            ask_policy=True,
        )
        # The desk's step is done: the dossier goes to the first unit of its process.
        process_begin(result.dossier, actor=actor, now=result.dossier.received_at or timezone.now())
        dossier_notify(dossier=result.dossier, template="dossier_received")
    return result


@audited(policy.start_step)
def dossier_start_processing(
    *, dossier_id: int, actor, expected_status: str | None = None, note: str = "", request=None
) -> TransitionResult:
    """Start (received → processing) or continue after a supplement (supplemented → processing).

    After a supplement answered post-receipt the processing time counts again from today, the
    day the complete dossier is accepted (DESIGN §4): the due date is recomputed and the event
    is a "continue_processing" one.
    Raises `TransitionRefused` or `DossierError`.
    """
    with transaction.atomic():
        # Locked first so the status the due-date rule depends on cannot change meanwhile.
        before = Dossier.objects.select_for_update().values_list("status", flat=True)
        from_status = before.get(pk=dossier_id)

        def start(d: Dossier) -> None:
            if from_status == S.SUPPLEMENTED:
                d.due_date = add_working_days(agency_today(), d.procedure.processing_days)

        continued = from_status == S.SUPPLEMENTED
        result = dossier_transition(
            dossier_id=dossier_id,
            to_status=S.PROCESSING,
            role=Role.STAFF,
            actor=actor,
            action="continue_processing" if continued else "start_processing",
            message=Msg.PROCESSING_CONTINUED if continued else Msg.PROCESSING_STARTED,
            params=_due_date_param if continued else None,
            note=note,
            expected_status=expected_status,
            apply=start,
            ask_policy=True,
        )
        step_resume(result.dossier, timezone.now())
    return result


@audited("request_supplement")
def dossier_request_supplement(
    *,
    dossier_id: int,
    actor,
    message: str,
    components: Iterable[DossierComponent] = (),
    fields: Iterable[str] = (),
    deadline_days: int = 10,
    expected_status: str | None = None,
    request=None,
) -> SupplementRequest:
    """Ask the applicant to supplement the dossier (submitted, received or processing →
    requested).

    `message` says what is wrong (the citizen and the slip show it); `components` are the
    files to replace or add, `fields` the keys of information to correct; the deadline is
    `deadline_days` working days from today. While the dossier waits, its clock stops.
    Side effects: a `SupplementRequest` remembering the status it was asked in (decides
    whether the answer goes back to receipt or to processing); a public history event whose
    note gives only the deadline (the message is its internal note: the public lookup never
    shows it); the applicant is notified (email and notification, with what to fix) after
    commit. Raises `DossierError` for an empty message, a component or field key the
    procedure does not have, or a deadline out of range; `TransitionRefused` when the status does not allow it.
    """
    message = (message or "").strip()
    if not message:
        raise DossierError(_("Say what the applicant must supplement."))
    if not 1 <= deadline_days <= SUPPLEMENT_MAX_DAYS:
        raise DossierError(
            _("The deadline must be between 1 and %(n)s working days.") % {"n": SUPPLEMENT_MAX_DAYS}
        )
    components = list(components)
    fields = list(dict.fromkeys(fields))
    deadline = add_working_days(agency_today(), deadline_days)
    with transaction.atomic():

        def check(d: Dossier) -> None:
            if any(c.procedure_id != d.procedure_id for c in components):
                raise DossierError(_("A component chosen does not belong to this procedure."))
            declared = d.procedure.form_fields.values_list("key", flat=True)
            if set(fields) - set(APPLICANT_FIELD_LABELS) - set(declared):
                raise DossierError(_("A field chosen does not belong to this procedure."))

        # The public lookup shows only that a supplement was asked and by when; the message
        # (which may name personal details) is for the applicant's page, the slip and staff.
        result = dossier_transition(
            dossier_id=dossier_id,
            to_status=S.SUPPLEMENT_REQUESTED,
            role=Role.STAFF,
            actor=actor,
            action="request_supplement",
            message=Msg.SUPPLEMENT_REQUESTED,
            params={"date": deadline.isoformat()},
            internal_note=message,
            expected_status=expected_status,
            apply=check,
            ask_policy=True,
        )
        step_pause(result.dossier, timezone.now())
        supplement = SupplementRequest.objects.create(
            dossier=result.dossier,
            created_by=actor,
            message=message,
            fields=fields,
            asked_in_status=result.event.from_status,
            deadline=deadline,
        )
        supplement.components.set(components)
        dossier_notify(
            dossier=result.dossier,
            template="dossier_supplement_requested",
            context={
                "supplement": supplement,
                "components": components,
                "field_labels": info_field_labels(
                    procedure=result.dossier.procedure,
                    keys=fields,
                    language=applicant_language(result.dossier),
                ),
            },
        )
    return supplement


@audited("request_payment")
def dossier_request_payment(
    *,
    dossier_id: int,
    actor=None,
    expected_status: str | None = None,
    note: str = "",
    request=None,
    history: HistoryEntry | None = None,
) -> TransitionResult:
    """Processing → awaiting payment, when a fee notice is issued (called by payments).

    The clock stops while the applicant pays. Notifying the applicant is the caller's (the fee
    notice email). `history` is the event the caller words itself (payments: the notice and
    its total). Raises `TransitionRefused` or `StepForbidden`.
    """
    entry = history or HistoryEntry(action="request_payment", message=Msg.PAYMENT_REQUESTED)
    with transaction.atomic():
        result = dossier_transition(
            dossier_id=dossier_id,
            to_status=S.AWAITING_PAYMENT,
            role=Role.STAFF,
            actor=actor,
            action=entry.action,
            message=entry.message,
            params=entry.params,
            note=note,
            expected_status=expected_status,
            ask_policy=True,
            step="request_payment",
        )
        step_pause(result.dossier, timezone.now())
    return result


@audited("payment_settled", expected_status=S.AWAITING_PAYMENT)
def dossier_payment_settled(
    *,
    dossier_id: int,
    actor=None,
    note: str = "",
    request=None,
    history: HistoryEntry | None = None,
) -> TransitionResult:
    """Awaiting payment → processing, once the fee is confirmed (gateway, reconciliation task
    or staff; payments). `actor` None is the system: a gateway's word, or the reconciliation
    task. `history` is the event the caller words itself (payments: what was paid, and how).

    Raises `TransitionRefused` when the dossier is not awaiting payment.
    """
    entry = history or HistoryEntry(action="payment_settled", message=Msg.PAYMENT_SETTLED)
    with transaction.atomic():
        result = dossier_transition(
            dossier_id=dossier_id,
            to_status=S.PROCESSING,
            role=Role.SYSTEM,
            actor=actor,
            action=entry.action,
            message=entry.message,
            params=entry.params,
            note=note,
            expected_status=S.AWAITING_PAYMENT,
            ask_policy=True,
            step="payment_settled",
        )
        step_resume(result.dossier, timezone.now())
    return result


@audited("approve")
def dossier_approve(
    *,
    dossier_id: int,
    actor,
    result_file,
    note: str = "",
    expected_status: str | None = None,
    request=None,
) -> TransitionResult:
    """Processing → approved, with the result document (the applicant downloads it): the file
    given, else the draft of the internal process's drafting step. In a process, the leader's
    approval hands the dossier to the desk's return step.

    The file is checked by content (PDF, Office, OpenDocument or image) and stored privately
    under a random name. Side effects: `completed_at` set; the applicant is notified after
    commit. Raises `UploadRejected` (bad file), `TransitionRefused` or `DossierError`.
    """
    checked = check_file(result_file, file_types=RESULT_FILE_TYPES) if result_file else None
    # The stored (signed) result is deleted again if the approval rolls back.
    with uploads_undone_on_error(), transaction.atomic():

        def approve(d: Dossier) -> None:
            if checked is not None:
                result_keep(d, result_file, checked=checked, actor=actor)
            elif d.draft_file:
                # The leader approves, and so signs, the result the specialist drafted and the
                # unit head reviewed.
                with d.draft_file.open("rb") as stored:
                    draft = ContentFile(stored.read(), name=d.draft_name or "du-thao.pdf")
                drafted = check_file(draft, file_types=RESULT_FILE_TYPES)
                result_keep(d, draft, checked=drafted, actor=actor)
            else:
                raise DossierError(_("Attach the result document."))
            d.result_note = note or d.draft_note
            d.completed_at = timezone.now()

        result = dossier_transition(
            dossier_id=dossier_id,
            to_status=S.APPROVED,
            role=Role.STAFF,
            actor=actor,
            action="approve",
            message=Msg.APPROVED,
            note=note,
            expected_status=expected_status,
            apply=approve,
            ask_policy=True,
        )
        # Signed: the result goes to the desk, which returns it.
        process_forward(
            result.dossier, actor=actor, now=result.dossier.completed_at or timezone.now()
        )
        dossier_notify(dossier=result.dossier, template="dossier_approved")
    return result


@audited("reject")
def dossier_reject(
    *, dossier_id: int, actor, reason: str, expected_status: str | None = None, request=None
) -> TransitionResult:
    """Refuse the dossier (submitted or processing → rejected) with a reason the citizen sees.

    Side effects: the reason stored on the dossier and in the public history; `completed_at`
    set; the applicant is notified (with the rejection slip) after commit.
    Raises `DossierError` without a reason, `TransitionRefused` when the status does not allow it.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DossierError(_("Give the reason for the rejection: the applicant will read it."))
    with transaction.atomic():

        def reject(d: Dossier) -> None:
            d.rejection_reason = reason
            d.completed_at = timezone.now()

        result = dossier_transition(
            dossier_id=dossier_id,
            to_status=S.REJECTED,
            role=Role.STAFF,
            actor=actor,
            action="reject",
            message=Msg.REJECTED,
            note=reason,
            expected_status=expected_status,
            apply=reject,
            ask_policy=True,
        )
        process_close(
            result.dossier,
            actor=actor,
            now=result.dossier.completed_at or timezone.now(),
            kind=HandOverKind.FINISH,
            reason=reason,
        )
        dossier_notify(dossier=result.dossier, template="dossier_rejected")
    return result


@audited("return_result")
def dossier_return_result(
    *,
    dossier_id: int,
    actor,
    expected_status: str | None = None,
    note: str = "",
    delivered_via: str = "",
    waybill_number: str = "",
    request=None,
) -> TransitionResult:
    """Approved → returned: the desk handed the result over, `delivered_via` (default: the way
    the applicant chose at submission); by post with its `waybill_number`.

    Side effects: the delivery stored on the dossier; the applicant is notified (with the
    tracking number) after commit. Raises `DossierError` for post without a tracking number
    or an unknown way, `TransitionRefused` when the status does not allow it.
    """
    waybill_number = (waybill_number or "").strip()
    if delivered_via and delivered_via not in ResultDelivery.values:
        raise DossierError(_("Choose how the result was delivered."))
    with transaction.atomic():

        def hand_over(d: Dossier) -> None:
            d.delivered_via = delivered_via or d.result_delivery or ResultDelivery.DESK
            if d.delivered_via == ResultDelivery.POST and not waybill_number:
                raise DossierError(
                    _("Enter the postal tracking number of the result sent by post.")
                )
            d.waybill_number = waybill_number if d.delivered_via == ResultDelivery.POST else ""

        result = dossier_transition(
            dossier_id=dossier_id,
            to_status=S.RETURNED,
            role=Role.STAFF,
            actor=actor,
            action="return_result",
            message=Msg.RETURNED,
            note=note,
            expected_status=expected_status,
            apply=hand_over,
            ask_policy=True,
        )
        process_forward(result.dossier, actor=actor, now=timezone.now())
        dossier_notify(dossier=result.dossier, template="dossier_returned")
    return result
