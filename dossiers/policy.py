"""Who may do which step on which dossier, and who sees which dossiers: decided here only.

The services ask `step_refusal` before every staff or system step, so the admin, the views, the
tasks and the management commands all get the same answer; the querysets of
`DossierQuerySet` are built from the scopes below. The transition table
(`constants.TRANSITIONS`) stays data: its role column is read here, by `role_may_move`.

A step depends on the actor's permission groups and agency and, for a dossier on its way
through an internal process (DESIGN §10), on the current step: its unit, the role that acts, the
officer it is assigned to, what the step may do, and the separation of duties (`process_refusal`).
"""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from procedures.constants import StaffRole, UnitKind
from procedures.models import Unit, UnitMembership

from .constants import APOLOGY_STATUSES, DossierStatus, Role, allowed_targets

S = DossierStatus

RECEIVE = "dossiers.receive_dossier"
PROCESS = "dossiers.process_dossier"

# The staff steps, in the order the dossier page offers them, and the status each moves to.
STAFF_STEPS: dict[str, str] = {
    "receive": S.RECEIVED,
    "start_processing": S.PROCESSING,
    # The same move after a supplement answered post-receipt: the due date is recomputed.
    "continue_processing": S.PROCESSING,
    "request_supplement": S.SUPPLEMENT_REQUESTED,
    "approve": S.APPROVED,
    "reject": S.REJECTED,
    "return_result": S.RETURNED,
}

# The one-stop desk receives, asks for supplements before receipt, rejects at the desk and
# returns results; the processing unit does the rest.
RECEPTION_STATUSES = (S.SUBMITTED, S.SUPPLEMENTED)

# The steps payments takes through the dossiers services (issuing a fee notice, its settlement):
# payments' own permissions decide who starts them; the agency rule still holds.
FEE_STEPS = ("request_payment", "payment_settled")

# The late and stop steps (apology letter, stop processing) go by the actor's unit roles, not by
# permission groups: `letter_refusal` below decides them.
LETTER_STEPS = ("apology_draft", "apology_sign", "apology_cancel", "stop")

# The reason recorded in the audit log when the actor's groups do not allow the step.
PERMISSION_DENIED = "permission denied"

# The steps of the internal process that are not status moves (services/workflow.py).
PROCESS_STEPS = ("step_assign", "step_take", "step_forward", "step_back", "draft_result")
# Steps taken by whoever holds the current step (its assignee, or its role in its unit).
HOLDER_STEPS = (
    "start_processing",
    "continue_processing",
    "request_supplement",
    "request_payment",
    "step_forward",
    "step_back",
    "draft_result",
    "approve",
    "reject",
    "return_result",
)


@dataclass(frozen=True)
class Refusal:
    """Why a step is refused: `message` for the person, `audit` for the staff audit log."""

    message: str
    audit: str
    # The person may act on such a step, but someone else was quicker (a stale screen): the
    # page says so instead of forbidding.
    stale: bool = False


# --- Scopes: which dossiers a person sees ------------------------------------------------------


def staff_agency_id(user) -> int | None:
    """The agency a staff member works for, or None (not staff, or no membership yet)."""
    if not getattr(user, "is_staff", False):
        return None
    membership = getattr(user, "staff_membership", None)
    return membership.agency_id if membership is not None else None


def staff_scope(user) -> Q:
    """The dossiers `user` sees as staff: sent ones, of their agency (superusers: of all).

    A draft belongs to its author until it is submitted: no staff member, not even a
    superuser, sees it (DESIGN §9)."""
    sent = ~Q(status=S.DRAFT)
    if user.is_superuser:
        return sent
    agency_id = staff_agency_id(user)
    if agency_id is None:
        return Q(pk__in=[])
    return sent & Q(agency_id=agency_id)


def citizen_scope(user) -> Q:
    """The dossiers `user` applied for, drafts included."""
    return Q(applicant=user)


def visible_scope(user) -> Q:
    """Whose files and slips `user` may open: their own dossiers and, as staff, the ones of
    `staff_scope`."""
    return citizen_scope(user) | staff_scope(user)


# --- Steps: who may move a dossier -------------------------------------------------------------


def role_may_move(role: str, from_status: str, to_status: str) -> bool:
    """Whether the transition table lets someone acting in `role` make this move."""
    return to_status in allowed_targets(from_status, role)


def step_permissions(step: str, status: str) -> tuple[str, ...]:
    """The permissions of which any one lets an officer take `step` on a dossier in `status`.

    Steps another app takes through the dossiers services (the fee's settlement) need none
    here: that app's own permissions decide who starts them."""
    if step in FEE_STEPS or step in LETTER_STEPS:
        return ()
    if step in PROCESS_STEPS:
        return (PROCESS,)
    if step in ("receive", "return_result"):
        return (RECEIVE,)
    if step in ("request_supplement", "reject") and status in RECEPTION_STATUSES:
        return (RECEIVE,)
    # A gap found right after receipt: the desk that checked the dossier, or the processing
    # unit that takes it over, asks for the supplement.
    if step == "request_supplement" and status == S.RECEIVED:
        return (RECEIVE, PROCESS)
    return (PROCESS,)


def _agency_refusal(actor, dossier) -> Refusal | None:
    """Staff act only on their own agency's dossiers (superusers and the system on any)."""
    if actor is None or actor.is_superuser:
        return None
    if staff_agency_id(actor) != dossier.agency_id:
        message = _("You can only act on your own agency's dossiers.")
        return Refusal(message=message, audit=message)
    return None


def unit_roles(user) -> set[tuple[int, str]]:
    """The (unit id, role) pairs `user` holds; read once per user object (one request)."""
    cached = getattr(user, "_unit_roles", None)
    if cached is None:
        cached = set(UnitMembership.objects.filter(user=user).values_list("unit_id", "role"))
        user._unit_roles = cached
    return cached


def _refused(message: str) -> Refusal:
    return Refusal(message=message, audit=message)


def _holder_refusal(actor, step) -> Refusal | None:
    """Only the person the step is assigned to acts on it; a step in a pool, only someone
    holding its role in its unit, and a specialist's step only once taken or assigned."""
    if step.assignee_id is not None:
        if step.assignee_id != actor.pk:
            return _refused(_("This step is assigned to another officer."))
        return None
    if (step.unit_id, step.role) not in unit_roles(actor):
        return _refused(
            _("Only a %(role)s of %(unit)s acts at this step.")
            % {"role": StaffRole(step.role).label.lower(), "unit": step.unit.display_name}
        )
    if step.role == StaffRole.SPECIALIST:
        return _refused(_("Take the dossier from the unit's pool first."))
    return None


def process_refusal(actor, step_name: str, dossier, *, assignee=None) -> Refusal | None:
    """Why the internal process refuses `actor` the step `step_name` on `dossier`, or None.

    Applies to a dossier at a step of its process (`dossier.current_step`) and, before that,
    to the desk's own steps (receipt, a supplement or a rejection at receipt) in an agency that
    has a desk. What the step may do (ask for a supplement, issue a fee notice, draft, approve)
    always holds; who may act (the unit, the role, the assignee, never the drafter approving)
    holds unless the agency switched its separation of duties off (a single-officer agency).
    `assignee` is the person a unit head gives the step to (`step_assign`)."""
    if actor is None:
        return None
    step = dossier.current_step if dossier.current_step_id else None
    separated = dossier.agency.separation_of_duties
    if step is None:
        at_desk = step_name in ("receive", "request_supplement", "reject")
        if not separated or not at_desk or dossier.status not in RECEPTION_STATUSES:
            return None
        desk = Unit.objects.filter(agency_id=dossier.agency_id, kind=UnitKind.DESK).first()
        if desk is None or (desk.pk, StaffRole.DESK_OFFICER) in unit_roles(actor):
            return None
        return _refused(_("Only the one-stop desk receives dossiers."))
    capability = {
        "request_supplement": step.may_request_supplement,
        "request_payment": step.may_issue_fee_notice,
        "draft_result": step.drafts_result,
        "approve": step.approves,
        "reject": step.approves,
        "return_result": step.unit_kind == UnitKind.DESK,
        "receive": False,
    }.get(step_name, True)
    if not capability:
        return _refused(_("This step of the internal process may not do that."))
    if not separated:
        return None
    if step_name == "step_assign":
        if (step.unit_id, StaffRole.UNIT_HEAD) not in unit_roles(actor):
            return _refused(_("Only the head of the unit assigns its dossiers."))
        if step.role != StaffRole.SPECIALIST:
            return _refused(_("This step is not a specialist's: it cannot be assigned."))
        # Without an assignee (the form merely shown) only the actor is checked.
        if (
            assignee is not None
            and not UnitMembership.objects.filter(
                user=assignee, unit_id=step.unit_id, role=step.role
            ).exists()
        ):
            return _refused(_("The person chosen is not a specialist of this unit."))
        return None
    if step_name == "step_take":
        # Only a specialist's step waits in a pool to be taken; the others' holders act on it
        # directly (`_holder_refusal`).
        if step.role != StaffRole.SPECIALIST or (step.unit_id, step.role) not in unit_roles(actor):
            return _refused(_("Only a specialist of the unit takes its dossiers."))
        if step.assignee_id is not None:
            message = _("A colleague has already taken this dossier.")
            return Refusal(message=message, audit=message, stale=True)
        return None
    if step_name in HOLDER_STEPS:
        refused = _holder_refusal(actor, step)
        if refused is not None:
            return refused
    if step_name == "approve" and dossier.drafted_by_id == actor.pk:
        return _refused(_("You drafted this result: another person must approve it."))
    return None


def process_actions(user, dossier) -> list[str]:
    """The internal-process steps (not status moves) `user` may take on `dossier` now."""
    if dossier.current_step_id is None:
        return []
    return [name for name in PROCESS_STEPS if may_take(user, name, dossier)]


def step_refusal(actor, step: str, dossier, *, assignee=None) -> Refusal | None:
    """Why `actor` may not take `step` on `dossier`, or None when they may.

    `actor` None is the system (a task acting on a gateway's word): it may take any step the
    transition table gives the system. Whether the dossier's status allows the move is the
    transition's check (`services.dossier_transition`), made under the row lock."""
    if actor is not None and not actor.is_superuser:
        wanted = step_permissions(step, dossier.status)
        if wanted and not any(actor.has_perm(perm) for perm in wanted):
            return Refusal(
                message=_("You may not take this step on this dossier."), audit=PERMISSION_DENIED
            )
    return _agency_refusal(actor, dossier) or process_refusal(
        actor, step, dossier, assignee=assignee
    )


def may_take(actor, step: str, dossier) -> bool:
    return step_refusal(actor, step, dossier) is None


def staff_steps(user, dossier, targets: list[str]) -> list[str]:
    """The staff steps `user` may take on `dossier` now, given the statuses the table and the
    guards allow (`targets`), in the order the dossier page offers them."""
    after_supplement = dossier.status == S.SUPPLEMENTED
    steps = []
    for step, target in STAFF_STEPS.items():
        if target not in targets:
            continue
        # Awaiting payment → processing belongs to the payments panel, not a plain button.
        if step == "start_processing" and dossier.status == S.AWAITING_PAYMENT:
            continue
        # After a supplement, "continue processing" (new due date) replaces "start processing".
        if step == "start_processing" and after_supplement:
            continue
        if step == "continue_processing" and not after_supplement:
            continue
        if may_take(user, step, dossier):
            steps.append(step)
    # The fee notice is offered on the page to the processing unit.
    if (
        S.AWAITING_PAYMENT in targets
        and may_take(user, "request_payment", dossier)
        and (user.is_superuser or user.has_perm(PROCESS))
    ):
        steps.append("request_payment")
    return steps


def start_step(status: str) -> str:
    """The step that moves a dossier in `status` to processing: after a supplement it is a
    continuation (new due date)."""
    return "continue_processing" if status == S.SUPPLEMENTED else "start_processing"


def intake_refusal(actor, procedure) -> Refusal | None:
    """Why `actor` may not register a dossier for `procedure` at the desk (counter intake), or
    None when they may: the desk's receive permission, and a procedure of their own agency
    (superusers: any)."""
    if actor is None or not actor.is_authenticated:
        return Refusal(message=_("You may not register dossiers."), audit=PERMISSION_DENIED)
    if actor.is_superuser:
        return None
    if not actor.has_perm(RECEIVE):
        return Refusal(message=_("You may not register dossiers."), audit=PERMISSION_DENIED)
    if staff_agency_id(actor) != procedure.agency_id:
        message = _("You can only act on your own agency's dossiers.")
        return Refusal(message=message, audit=message)
    return None


def may_register(actor) -> bool:
    """Whether `actor` may open the counter intake at all (any procedure of their agency)."""
    if actor.is_superuser:
        return True
    return actor.has_perm(RECEIVE) and staff_agency_id(actor) is not None


# --- Late and stop handling: the apology letter and stopping processing ------------------------
#
# The unit handling the dossier (a specialist or the unit head of its current step's unit)
# drafts an apology letter and new appointment; a leader of the agency signs it, and stops
# processing (signing the stop notice) on the unit's proposal. An agency whose back office is not
# set up (no leader, or no step for the dossier) keeps the group-permission rule: an officer of
# the processing unit does both; an agency that switched its separation of duties off lets any
# of its officers do both.

UNIT_DRAFTERS = (StaffRole.SPECIALIST, StaffRole.UNIT_HEAD)


def _is_leader(actor, agency_id: int) -> bool:
    return UnitMembership.objects.filter(
        user=actor, unit__agency_id=agency_id, role=StaffRole.LEADER
    ).exists()


def _has_leaders(agency_id: int) -> bool:
    return UnitMembership.objects.filter(
        unit__agency_id=agency_id, role=StaffRole.LEADER, user__is_active=True
    ).exists()


def apology_draft_refusal(actor, dossier) -> Refusal | None:
    """Why `actor` may not draft an apology letter for `dossier`, or None: a specialist or the
    unit head of the unit at the dossier's current step (superusers: anyone; a dossier without
    a step: the processing unit's permission)."""
    if actor is None:
        return _refused(_("Only the unit handling the dossier drafts an apology letter."))
    refusal = _agency_refusal(actor, dossier)
    if refusal is not None or actor.is_superuser or not dossier.agency.separation_of_duties:
        return refusal
    step = dossier.current_step if dossier.current_step_id else None
    if step is None:
        allowed = actor.has_perm(PROCESS)
    else:
        allowed = any((step.unit_id, role) in unit_roles(actor) for role in UNIT_DRAFTERS)
    if not allowed:
        return _refused(_("Only the unit handling the dossier drafts an apology letter."))
    return None


def leader_refusal(actor, dossier, *, message: str) -> Refusal | None:
    """Why `actor` may not sign for the agency on `dossier` (an apology letter, a stop notice),
    or None: a leader of the dossier's agency (superusers: always; an agency with no leader:
    an officer of the processing unit). `message` says what was refused."""
    if actor is None:
        return _refused(message)
    refusal = _agency_refusal(actor, dossier)
    if refusal is not None or actor.is_superuser or not dossier.agency.separation_of_duties:
        return refusal
    if _is_leader(actor, dossier.agency_id):
        return None
    if not _has_leaders(dossier.agency_id) and actor.has_perm(PROCESS):
        return None
    return _refused(message)


def apology_sign_refusal(actor, letter) -> Refusal | None:
    """Why `actor` may not sign `letter`: a leader signs, and never a letter they drafted
    while the agency keeps the separation of duties."""
    dossier = letter.dossier
    refusal = leader_refusal(
        actor, dossier, message=_("Only a leader of the agency signs an apology letter.")
    )
    if refusal is not None:
        return refusal
    if (
        letter.drafted_by_id == actor.pk
        and dossier.agency.separation_of_duties
        and not actor.is_superuser
    ):
        return _refused(_("You drafted this letter: another leader signs it."))
    return None


def apology_cancel_refusal(actor, letter) -> Refusal | None:
    """Whoever may draft a letter for the dossier, or sign it, may cancel an unsigned one."""
    if apology_draft_refusal(actor, letter.dossier) is None:
        return None
    return leader_refusal(
        actor, letter.dossier, message=_("You may not cancel this apology letter.")
    )


def stop_refusal(actor, dossier) -> Refusal | None:
    """Why `actor` may not stop processing `dossier`: a leader signs the stop notice."""
    return leader_refusal(
        actor, dossier, message=_("Only a leader of the agency stops processing a dossier.")
    )


def letter_steps(user, dossier) -> list[str]:
    """The late and stop steps `user` may take on `dossier` now, for the dossier page's buttons
    (signing and cancelling depend on the letter: the page asks per letter)."""
    steps = []
    if dossier.status in APOLOGY_STATUSES and apology_draft_refusal(user, dossier) is None:
        steps.append("apology_draft")
    if (
        S.STOPPED in allowed_targets(dossier.status, Role.STAFF)
        and stop_refusal(user, dossier) is None
    ):
        steps.append("stop")
    return steps
