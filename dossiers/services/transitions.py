"""The one place a dossier's status changes: locked, checked against the table, audited."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from .. import policy
from ..constants import DossierStatus, Role, allowed_targets
from ..models import Dossier, DossierEvent

S = DossierStatus


class DossierError(Exception):
    """A request the dossier's state does not allow; the message is shown to the person."""


class TransitionRefused(DossierError):
    pass


class StepForbidden(DossierError):
    """The access policy refuses this person the step (`policy.step_refusal`); `audit` is the
    reason the staff audit log keeps."""

    def __init__(self, message: str, audit: str = "", stale: bool = False) -> None:
        super().__init__(message)
        self.audit = audit or message
        # Someone else acted first (policy.Refusal.stale): not a matter of permission.
        self.stale = stale


@dataclass(frozen=True)
class HistoryEntry:
    """The history event of a move, as a caller from another app words it (its action, its
    composed message and the message's values)."""

    action: str
    message: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TransitionResult:
    dossier: Dossier
    event: DossierEvent


def _guard_refusal(dossier: Dossier, to_status: str) -> str | None:
    """Conditions beyond the table: why this move is not possible for this dossier, or None.

    A supplemented dossier goes back to receipt only when the supplement was asked before
    receipt (it has no code yet), and to processing only when it was asked after (DESIGN §3).
    """
    if dossier.status == S.SUPPLEMENTED:
        if to_status == S.RECEIVED and dossier.code:
            return _("This dossier was already received: continue processing it instead.")
        if to_status == S.PROCESSING and not dossier.code:
            return _("This dossier has not been received yet: receive it first.")
    return None


def available_targets(dossier: Dossier, role: str) -> list[str]:
    """The statuses `role` may move this dossier to now (table and guards), for buttons."""
    return [
        to for to in allowed_targets(dossier.status, role) if _guard_refusal(dossier, to) is None
    ]


def dossier_transition(
    *,
    dossier_id: int,
    to_status: str,
    role: str,
    actor=None,
    action: str = "",
    message: str = "",
    params: dict | Callable[[Dossier], dict] | None = None,
    note: str = "",
    internal_note: str = "",
    is_public: bool = True,
    expected_status: str | None = None,
    apply: Callable[[Dossier], None] | None = None,
    ask_policy: bool = False,
    step: str = "",
) -> TransitionResult:
    """Move a dossier to `to_status`, writing the status and its history event together.

    Preconditions: the move (current → `to_status`) is in `TRANSITIONS`, `role` may make it and
    the dossier meets the move's guard (see `_guard_refusal`); if `expected_status` is given,
    the dossier must still be in it (the status the person saw, so two staff acting at once
    cannot both win).
    Runs in a transaction with the dossier row locked (`select_for_update`). `apply` may change
    other fields of the locked dossier before it is saved (code, due date, result…); an
    exception it raises rolls the whole move back. With `ask_policy`, the access policy is asked
    again under the lock whether `actor` may take the step `step` (default: `action`) on the
    dossier as it is now (the step services: a status that changed since their first check can
    change the answer).
    The event keeps `message` and `params` (a composed message of `dossiers.history`; `params`
    may be a function of the dossier after `apply`, for values the move sets; for staff
    and system moves the params name the dossier's agency as the handling unit) and, apart,
    the free text a person wrote (`note`, for the applicant and staff; `internal_note`, staff).
    Side effects: callers schedule emails and documents with `transaction.on_commit`.
    Raises `TransitionRefused` with a translated message when the move is not allowed,
    `StepForbidden` when the policy refuses the actor, and
    `Dossier.DoesNotExist` for an unknown id.
    """
    with transaction.atomic():
        # Only the dossier row: locking the joined procedure and agency would serialise every
        # step on every dossier of the same agency.
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure", "agency")
            .get(pk=dossier_id)
        )
        current = dossier.status
        if expected_status is not None and current != expected_status:
            raise TransitionRefused(
                _(
                    "The dossier is now “%(now)s”, no longer “%(was)s”: someone else acted on it. "
                    "Reload the page to see its current state."
                )
                % {"now": DossierStatus(current).label, "was": DossierStatus(expected_status).label}
            )
        if not policy.role_may_move(role, current, to_status):
            raise TransitionRefused(
                _("A dossier in status “%(now)s” cannot move to “%(to)s”.")
                % {"now": DossierStatus(current).label, "to": DossierStatus(to_status).label}
            )
        if ask_policy:
            refused = policy.step_refusal(actor, step or action, dossier)
            if refused is not None:
                raise StepForbidden(refused.message, audit=refused.audit, stale=refused.stale)
        refusal = _guard_refusal(dossier, to_status)
        if refusal:
            raise TransitionRefused(refusal)
        dossier.status = to_status
        if apply is not None:
            apply(dossier)
        dossier.save()
        by_agency = role != Role.CITIZEN
        values = params(dossier) if callable(params) else dict(params or {})
        if by_agency:
            values["agency"] = dossier.agency_id
        event = DossierEvent.objects.create(
            dossier=dossier,
            actor=actor,
            action=action or to_status,
            from_status=current,
            to_status=to_status,
            message=message,
            params=values,
            note=note,
            internal_note=internal_note,
            handling_unit=dossier.agency.name if by_agency else "",
            is_public=is_public,
        )
    return TransitionResult(dossier=dossier, event=event)
