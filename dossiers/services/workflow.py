"""A dossier's way through its internal process (quy trình nội bộ, DESIGN §10).

The desk's receipt opens the process; each step ends with a hand-over to the next step or a
return to the previous one; the leader's approval hands the result to the desk, whose return
ends it. Every hand-over is a `HandOver` row (the processing-control slip) and a history event
that links to it; the step's deadline counts office hours from its start
(`calendar.add_working_hours`) and stops while the dossier waits on the applicant.

The status moves stay in `processing` (`dossier_transition`); the steps are the finer grain.
Who may act on a step is the access policy's (`policy.process_refusal`), asked again under the
dossier's row lock, so a stale screen or two people at once cannot both win.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.uploads import RESULT_FILE_TYPES, check_file, store_file, uploads_undone_on_error
from procedures.constants import UnitKind
from procedures.models import ProcessStep, Unit
from procedures.selectors import process_for

from .. import policy
from ..calendar import AGENCY_TZ, add_working_hours, working_hours_between
from ..constants import HandOverKind, StepOutcome
from ..history import Msg
from ..models import Dossier, DossierEvent, DossierStep, HandOver
from .staff_notify import handover_notify
from .steps import audited
from .transitions import DossierError, StepForbidden, TransitionRefused


def step_outcome(*, finished_at: datetime, deadline: datetime) -> str:
    """Late after the deadline; early when finished on a day before the deadline's day (agency
    time); on time otherwise."""
    if finished_at > deadline:
        return StepOutcome.LATE
    if timezone.localtime(finished_at, AGENCY_TZ).date() < (
        timezone.localtime(deadline, AGENCY_TZ).date()
    ):
        return StepOutcome.EARLY
    return StepOutcome.ON_TIME


def step_unit(dossier: Dossier, process_step: ProcessStep) -> Unit | None:
    """The unit that acts at `process_step` for `dossier`: the one the process names; else the
    agency's unit of that kind handling the procedure's field; else its first by name."""
    if process_step.unit_id is not None:
        return process_step.unit
    units = Unit.objects.filter(agency_id=dossier.agency_id, kind=process_step.unit_kind)
    if process_step.unit_kind == UnitKind.SPECIALIST:
        handling = units.filter(fields=dossier.procedure.field_id).order_by("name").first()
        if handling is not None:
            return handling
    return units.order_by("name").first()


def dossier_process(dossier: Dossier) -> list[ProcessStep]:
    """The internal process `dossier` follows: empty when its agency has no desk unit or its
    procedure no process (the agency has not set up its back office)."""
    if not Unit.objects.filter(agency_id=dossier.agency_id, kind=UnitKind.DESK).exists():
        return []
    return process_for(dossier.procedure)


def _open(
    dossier: Dossier,
    process_step: ProcessStep,
    *,
    order: int,
    now: datetime,
    assignee=None,
    unit: Unit | None = None,
) -> DossierStep:
    unit = unit or step_unit(dossier, process_step)
    if unit is None:
        raise DossierError(
            _("The agency has no unit of the kind “%(kind)s” for this step of its process.")
            % {"kind": process_step.get_unit_kind_display()}
        )
    return DossierStep.objects.create(
        dossier=dossier,
        process_step=process_step,
        order=order,
        unit_kind=process_step.unit_kind,
        role=process_step.role,
        hours=process_step.working_hours,
        may_request_supplement=process_step.may_request_supplement,
        may_issue_fee_notice=process_step.may_issue_fee_notice,
        drafts_result=process_step.drafts_result,
        approves=process_step.approves,
        unit=unit,
        assignee=assignee,
        started_at=now,
        deadline=add_working_hours(now, process_step.working_hours),
    )


def step_hours_used(step: DossierStep, until: datetime) -> float:
    """The office hours `step` has used by `until`: its duration, less the office hours still
    left before its deadline or plus those past it (the deadline moved by the time the clock
    stood still, so the applicant's time is not counted)."""
    if until > step.deadline:
        used = step.hours + working_hours_between(step.deadline, until)
    else:
        used = step.hours - working_hours_between(until, step.deadline)
    return round(max(used, 0.0), 2)


def _finish(step: DossierStep, now: datetime) -> str:
    step.finished_at = now
    step.outcome = step_outcome(finished_at=now, deadline=step.deadline)
    step.hours_used = step_hours_used(step, now)
    step.save(update_fields=["finished_at", "outcome", "hours_used"])
    return step.outcome


def _record(
    dossier: Dossier,
    *,
    kind: str,
    actor,
    now: datetime,
    from_step: DossierStep | None,
    to_step: DossierStep | None,
    message: str,
    public: bool = False,
    reason: str = "",
    to_user=None,
    action: str = "",
) -> HandOver:
    """The hand-over row, its history event (linked to it; `action` default "step_<kind>"),
    and the staff's notifications."""
    handover = HandOver.objects.create(
        dossier=dossier,
        kind=kind,
        created_at=now,
        from_step=from_step,
        to_step=to_step,
        from_user=actor,
        from_unit=from_step.unit if from_step else None,
        to_unit=to_step.unit if to_step else None,
        to_user=to_user if to_user is not None else (to_step.assignee if to_step else None),
        step_deadline=from_step.deadline if from_step else None,
        outcome=from_step.outcome if from_step and from_step.finished_at else "",
        reason=reason,
    )
    params: dict = {"agency": dossier.agency_id}
    if to_step is not None:
        params["unit"] = to_step.unit_id
        params["date"] = timezone.localtime(to_step.deadline, AGENCY_TZ).date().isoformat()
    DossierEvent.objects.create(
        dossier=dossier,
        actor=actor,
        action=action or f"step_{kind}",
        from_status=dossier.status,
        to_status=dossier.status,
        message=message,
        params=params,
        internal_note=reason,
        handling_unit=dossier.agency.name,
        is_public=public,
        handover=handover,
    )
    handover_notify(handover)
    return handover


def process_begin(dossier: Dossier, *, actor, now: datetime) -> HandOver | None:
    """At receipt: the desk's receiving step is recorded (from submission, or now at the
    counter, to now) and the dossier handed over to the next step, in its unit's pool.

    Precondition: the dossier is locked in the caller's transaction, its status already set.
    Returns None when the dossier follows no process (see `dossier_process`)."""
    if dossier.current_step_id is not None:
        return None
    process = dossier_process(dossier)
    if len(process) < 2:
        return None
    started = min(dossier.submitted_at or now, now)
    desk = _open(dossier, process[0], order=1, now=started, assignee=actor)
    _finish(desk, now)
    return _advance(dossier, desk, actor=actor, now=now, process=process)


def _advance(
    dossier: Dossier,
    step: DossierStep,
    *,
    actor,
    now: datetime,
    process: list[ProcessStep] | None = None,
    reason: str = "",
    action: str = "",
) -> HandOver:
    """Hand the dossier over from the finished `step` to the process's next step (its pool, or
    the person who handled that step before when it comes round again). `process`: the
    dossier's, when the caller has it already; `reason` and `action` go to the record."""
    if process is None:
        process = process_for(dossier.procedure)
    if step.order >= len(process):
        dossier.current_step = None
        dossier.save(update_fields=["current_step"])
        return _record(
            dossier,
            kind=HandOverKind.FINISH,
            actor=actor,
            now=now,
            from_step=step,
            to_step=None,
            message="",
            reason=reason,
            action=action,
        )
    following = process[step.order]
    earlier = (
        DossierStep.objects.filter(dossier=dossier, order=step.order + 1)
        .exclude(assignee=None)
        .order_by("-started_at", "-id")
        .first()
    )
    assignee = earlier.assignee if earlier is not None else None
    next_step = _open(
        dossier,
        following,
        order=step.order + 1,
        now=now,
        assignee=assignee,
        unit=earlier.unit if earlier is not None else None,
    )
    dossier.current_step = next_step
    dossier.save(update_fields=["current_step"])
    return _record(
        dossier,
        kind=HandOverKind.FORWARD,
        actor=actor,
        now=now,
        from_step=step,
        to_step=next_step,
        message=Msg.STEP_FORWARD,
        public=True,
        reason=reason,
        action=action,
    )


def process_forward(dossier: Dossier, *, actor, now: datetime) -> HandOver | None:
    """Finish the current step and hand over to the next (the approval and the return call
    this inside their transition). None for a dossier outside any process."""
    step = dossier.current_step
    if step is None:
        return None
    _finish(step, now)
    return _advance(dossier, step, actor=actor, now=now)


def process_close(
    dossier: Dossier, *, actor, now: datetime, kind: str, reason: str = ""
) -> HandOver | None:
    """End the process early (rejected, withdrawn, stopped): the open step is finished and the
    hand-over recorded as `kind` (returned; None when no step was open)."""
    step = dossier.current_step
    if step is None:
        return None
    _finish(step, now)
    dossier.current_step = None
    dossier.save(update_fields=["current_step"])
    return _record(
        dossier,
        kind=kind,
        actor=actor,
        now=now,
        from_step=step,
        to_step=None,
        message="",
        reason=reason,
    )


def step_pause(dossier: Dossier, now: datetime) -> None:
    """The dossier waits on the applicant: the open step's clock stops."""
    step = dossier.current_step
    if step is not None and step.paused_at is None:
        step.paused_at = now
        step.save(update_fields=["paused_at"])


def step_resume(dossier: Dossier, now: datetime) -> None:
    """The applicant answered: the open step gets the office hours it had left when paused."""
    step = dossier.current_step
    if step is None or step.paused_at is None:
        return
    left = working_hours_between(step.paused_at, step.deadline)
    step.deadline = add_working_hours(now, left)
    step.paused_at = None
    step.save(update_fields=["deadline", "paused_at"])


# --- The step services ----------------------------------------------------------------------


def _locked(
    dossier_id: int, *, actor, step: str, expected_step: int | None, **extra
) -> tuple[Dossier, DossierStep]:
    """The dossier, locked, at the step the person saw, and the policy's answer under the lock."""
    dossier = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure", "agency")
        .get(pk=dossier_id)
    )
    if dossier.current_step_id is None:
        raise TransitionRefused(_("This dossier is at no step of an internal process."))
    if dossier.current_step_id is not None:
        # Read after the lock is held: a step joined into the locking query could be the
        # version from before a concurrent hand-over committed.
        dossier.current_step = DossierStep.objects.select_related("unit").get(
            pk=dossier.current_step_id
        )
    if expected_step is not None and dossier.current_step_id != expected_step:
        raise TransitionRefused(
            _(
                "This step is no longer current: someone else has moved the dossier on. "
                "Reload the page to see where it is now."
            )
        )
    refused = policy.step_refusal(actor, step, dossier, **extra)
    if refused is not None:
        raise StepForbidden(refused.message, audit=refused.audit, stale=refused.stale)
    return dossier, dossier.current_step


def _give(
    *, dossier_id: int, actor, assignee, step_name: str, expected_step: int | None
) -> HandOver:
    """The current step given to `assignee`, recorded as an assignment or a take."""
    taking = step_name == "step_take"
    with transaction.atomic():
        extra = {} if taking else {"assignee": assignee}
        dossier, step = _locked(
            dossier_id, actor=actor, step=step_name, expected_step=expected_step, **extra
        )
        step.assignee = assignee
        step.save(update_fields=["assignee"])
        return _record(
            dossier,
            kind=HandOverKind.TAKE if taking else HandOverKind.ASSIGN,
            actor=actor,
            now=timezone.now(),
            from_step=step,
            to_step=step,
            message=Msg.STEP_TAKE if taking else Msg.STEP_ASSIGN,
        )


@audited("step_assign")
def dossier_step_assign(
    *, dossier_id: int, actor, assignee, expected_step: int | None = None, request=None
) -> HandOver:
    """A unit head gives the current step to a specialist of the unit (ASSIGN).

    Raises `StepForbidden` (not the unit's head, or `assignee` outside the unit or without the
    step's role) or `TransitionRefused` (a stale screen)."""
    if assignee is None:
        raise DossierError(_("Choose the specialist to assign."))
    return _give(
        dossier_id=dossier_id,
        actor=actor,
        assignee=assignee,
        step_name="step_assign",
        expected_step=expected_step,
    )


@audited("step_take")
def dossier_step_take(
    *, dossier_id: int, actor, expected_step: int | None = None, request=None
) -> HandOver:
    """A specialist takes the current step from the unit's pool (TAKE). Two at once: the row
    lock lets one win; the other is told the step is taken."""
    return _give(
        dossier_id=dossier_id,
        actor=actor,
        assignee=actor,
        step_name="step_take",
        expected_step=expected_step,
    )


@audited("step_forward")
def dossier_step_forward(
    *, dossier_id: int, actor, expected_step: int | None = None, note: str = "", request=None
) -> HandOver:
    """The current step is done: hand over to the next step of the process (FORWARD). A unit
    head's review forwards the draft to the leader; the approval itself is `dossier_approve`.
    Raises `DossierError` when the step drafts the result and there is no draft yet."""
    with transaction.atomic():
        dossier, step = _locked(
            dossier_id, actor=actor, step="step_forward", expected_step=expected_step
        )
        if step.drafts_result and not dossier.draft_file:
            raise DossierError(_("Draft the result before handing the dossier over."))
        now = timezone.now()
        _finish(step, now)
        return _advance(dossier, step, actor=actor, now=now, reason=note)


@audited("step_back")
def dossier_step_back(
    *, dossier_id: int, actor, reason: str, expected_step: int | None = None, request=None
) -> HandOver:
    """Send the dossier back to the previous step with a reason (the unit head returns a
    draft, the leader refuses to sign): that step is passed again, by whoever did it before,
    with its full duration (BACK). Raises `DossierError` without a reason or at the first step
    after the desk."""
    reason = (reason or "").strip()
    if not reason:
        raise DossierError(_("Say why the dossier goes back: the previous step will read it."))
    with transaction.atomic():
        dossier, step = _locked(
            dossier_id, actor=actor, step="step_back", expected_step=expected_step
        )
        earlier = (
            DossierStep.objects.filter(dossier=dossier, order=step.order - 1)
            .select_related("process_step", "unit")
            .order_by("-started_at", "-id")
            .first()
        )
        if step.order <= 2 or earlier is None or earlier.process_step is None:
            raise DossierError(_("This step has no previous step in the unit to return to."))
        now = timezone.now()
        _finish(step, now)
        again = _open(
            dossier,
            earlier.process_step,
            order=earlier.order,
            now=now,
            assignee=earlier.assignee,
            unit=earlier.unit,
        )
        dossier.current_step = again
        dossier.save(update_fields=["current_step"])
        return _record(
            dossier,
            kind=HandOverKind.BACK,
            actor=actor,
            now=now,
            from_step=step,
            to_step=again,
            message=Msg.STEP_BACK,
            reason=reason,
        )


@audited("draft_result")
def dossier_result_draft(
    *,
    dossier_id: int,
    actor,
    draft_file,
    note: str = "",
    expected_step: int | None = None,
    request=None,
) -> HandOver:
    """The specialist drafts the result (a document, checked and stored privately like the
    result) and hands it over to the review step. A second draft (after a return) replaces the
    first. Raises `UploadRejected`, `DossierError` (no file, status not processing) or the
    policy's `StepForbidden`."""
    if draft_file is None:
        raise DossierError(_("Attach the draft result."))
    checked = check_file(draft_file, file_types=RESULT_FILE_TYPES)
    # A stored draft is deleted again if the hand-over fails and rolls back.
    with uploads_undone_on_error(), transaction.atomic():
        dossier, step = _locked(
            dossier_id, actor=actor, step="draft_result", expected_step=expected_step
        )
        if dossier.status != "processing":
            raise DossierError(_("Start processing the dossier before drafting its result."))
        stored = store_file(draft_file, checked=checked, folder=f"drafts/{dossier.pk}")
        now = timezone.now()
        dossier.draft_file = stored.name
        dossier.draft_name = stored.original_name
        dossier.draft_sha256 = stored.sha256
        dossier.draft_note = note
        dossier.drafted_by = actor
        dossier.drafted_at = now
        dossier.save(
            update_fields=[
                "draft_file",
                "draft_name",
                "draft_sha256",
                "draft_note",
                "drafted_by",
                "drafted_at",
            ]
        )
        _finish(step, now)
        return _advance(dossier, step, actor=actor, now=now, action="draft_result")
