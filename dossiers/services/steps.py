"""Staff and system steps: asked of the access policy and recorded in the staff audit log.

Every step service (`processing`) is `@audited` (it runs inside `audited_step`), so a step taken from the admin,
a view, a task or a management command is refused for the same reasons and leaves the same
audit entry, done or refused.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from accounts.services import audit_record
from core.uploads import UploadRejected

from .. import policy
from ..constants import Role
from ..models import Dossier
from .transitions import DossierError, StepForbidden, available_targets


def dossier_available_steps(*, dossier: Dossier, user) -> list[str]:
    """The steps `user` may take on `dossier` now (the table, its guards and the policy), in
    the order the dossier page offers them; "request_payment" when a fee notice may be issued.
    Reads only: nothing is recorded."""
    return policy.staff_steps(user, dossier, available_targets(dossier, Role.STAFF))


def dossier_step_audit(
    *,
    step: str,
    dossier: Dossier,
    actor,
    succeeded: bool,
    message: str = "",
    expected_status: str | None = None,
    request=None,
) -> None:
    """Record one attempt at `step` in the staff audit log (accounts.AuditEntry): the status
    the actor saw (`dossier.status`), the status now, and the one they expected.

    Call it outside the step's transaction, so a refusal stays on record after the rollback."""
    # Named as it is now (a receipt has just issued its code).
    now = Dossier.objects.only("id", "code", "status").filter(pk=dossier.pk).first() or dossier
    audit_record(
        actor=actor,
        action=f"dossier_{step}",
        obj=now,
        changes={
            "status": [dossier.status, now.status],
            "expected_status": expected_status or "",
        },
        succeeded=succeeded,
        message=message,
        request=request,
    )


def step_ensure_allowed(actor, step: str, dossier: Dossier, **extra) -> None:
    """Raise `StepForbidden` when the policy refuses `actor` this step on `dossier` (`extra`:
    what else the step names, e.g. the `assignee` of an assignment)."""
    refusal = policy.step_refusal(actor, step, dossier, **extra)
    if refusal is not None:
        raise StepForbidden(refusal.message, audit=refusal.audit, stale=refusal.stale)


def dossier_step_check(
    *,
    step: str,
    dossier: Dossier,
    actor,
    expected_status: str | None = None,
    request=None,
    record: bool = True,
    extra: dict | None = None,
) -> None:
    """Ask the policy whether `actor` may take `step` on `dossier`; a refusal is raised as
    `StepForbidden` (the admin answers 403) and, unless `record` is false (a form merely
    shown), recorded in the audit log."""
    try:
        step_ensure_allowed(actor, step, dossier, **(extra or {}))
    except StepForbidden as refused:
        if not record:
            raise
        dossier_step_audit(
            step=step,
            dossier=dossier,
            actor=actor,
            succeeded=False,
            message=refused.audit,
            expected_status=expected_status,
            request=request,
        )
        raise


@contextmanager
def audited_step(
    step: str | Callable[[str], str],
    *,
    dossier_id: int,
    actor,
    expected_status: str | None = None,
    request=None,
    extra: dict | None = None,
) -> Iterator[None]:
    """Run the body as `step` of `actor` on the dossier: refused up front when the policy says
    so, and recorded in the audit log whatever the outcome.

    `step` may be a function of the dossier's current status (start or continue processing).
    `request` is the HTTP request the step came from, if any (the log keeps its address).
    A `DossierError` or `UploadRejected` from the body is recorded as refused and re-raised;
    `Dossier.DoesNotExist` for an unknown id is raised before anything is recorded."""
    dossier = Dossier.objects.select_related("agency", "current_step__unit").get(pk=dossier_id)
    name = step(dossier.status) if callable(step) else step
    seen = {"step": name, "dossier": dossier, "actor": actor, "request": request}
    dossier_step_check(**seen, expected_status=expected_status, extra=extra)
    try:
        yield
    except (DossierError, UploadRejected) as exc:
        message = exc.audit if isinstance(exc, StepForbidden) else str(exc)
        dossier_step_audit(
            **seen, succeeded=False, message=message, expected_status=expected_status
        )
        raise
    dossier_step_audit(**seen, succeeded=True, expected_status=expected_status)


P = ParamSpec("P")
R = TypeVar("R")


def audited(
    step: str | Callable[[str], str], *, expected_status: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Make a step service an audited step (see `audited_step`). The service takes its
    arguments by keyword: `dossier_id`, `actor`, and optionally `expected_status` (else the
    one given here, for the audit log) and `request`."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            options: dict[str, Any] = dict(kwargs)
            with audited_step(
                step,
                dossier_id=options["dossier_id"],
                actor=options.get("actor"),
                expected_status=options.get("expected_status", expected_status),
                request=options.get("request"),
                extra={"assignee": options["assignee"]} if "assignee" in options else None,
            ):
                return service(*args, **kwargs)

        return run

    return decorate
