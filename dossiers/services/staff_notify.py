"""Telling the staff concerned about a hand-over: the person a step is given to, or the
unit's members who may take it (DESIGN §10, issue 17 item 9); and the warning the day before a
step's deadline.

Each notice is a notification on the personal page and an email in the officer's language
(`officer_notify`), its title a composed message (`history.notification_message`). Nobody is
told about their own hand-over.
"""

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from procedures.constants import WORKING_HOURS_PER_DAY, StaffRole

from ..calendar import add_working_hours
from ..constants import HandOverKind
from ..models import DossierStep, HandOver
from .notify import officer_notify

logger = logging.getLogger(__name__)

# The email templates (templates/emails/<name>*) and notification messages of each notice.
ASSIGNED = "staff_step_assigned"  # a step given to me (by my unit head, or coming round to me)
POOL = "staff_step_pool"  # a step arriving in my unit's pool, for my role
RETURNED = "staff_step_returned"  # a step sent back to me (a draft returned, a refusal to sign)
TO_SIGN = "staff_step_to_sign"  # a step for the leaders to approve and sign
DUE_SOON = "staff_step_due_soon"  # a step of mine due within one working day

# Sweep at most this many steps per run: the next run takes the rest.
WARNINGS_PER_RUN = 500


def step_people(step: DossierStep) -> list:
    """Who acts at `step`: its assignee, or the active members of its unit holding its role."""
    assignee = step.assignee
    if assignee is not None:
        return [assignee] if assignee.is_active else []
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            unit_memberships__unit_id=step.unit_id,
            unit_memberships__role=step.role,
        )
        .distinct()
        .order_by("pk")
    )


def handover_template(handover: HandOver) -> str | None:
    """The notice a hand-over sends, or None (taking from the pool, finishing, stopping)."""
    step = handover.to_step
    if step is None or handover.kind not in (
        HandOverKind.FORWARD,
        HandOverKind.BACK,
        HandOverKind.ASSIGN,
    ):
        return None
    if handover.kind == HandOverKind.BACK:
        return RETURNED
    if step.approves and step.role == StaffRole.LEADER:
        return TO_SIGN
    if step.assignee_id is not None:
        return ASSIGNED
    return POOL


def handover_notify(handover: HandOver) -> None:
    """Notify whoever must act next on `handover`'s dossier: the assignee of the step handed
    over to (an assignment, a returned draft, an item to sign), else the members of its unit
    with its role (an item in the pool; the leaders for an item to sign). The person who
    handed over is not told.

    Precondition: called inside the hand-over's transaction (the workflow services do, for
    every hand-over). Side effects: a notification and an outbox email per person, the emails
    sent after commit."""
    template = handover_template(handover)
    step = handover.to_step
    if template is None or step is None:
        return
    for officer in step_people(step):
        if officer.pk == handover.from_user_id:
            continue
        officer_notify(
            officer=officer,
            dossier=handover.dossier,
            template=template,
            context={"step": step, "handover": handover, "reason": handover.reason},
        )


def step_deadline_warnings(*, now: datetime | None = None) -> int:
    """Warn the people of every open step due within one working day (8 office hours) from
    `now`, once per step (`DossierStep.warned_at`, set under the row lock). A step whose clock
    is stopped (waiting on the applicant) or already late is not warned. Returns the number of
    steps warned; safe to run twice or in two workers at once."""
    now = now or timezone.now()
    limit = add_working_hours(now, WORKING_HOURS_PER_DAY)
    due = DossierStep.objects.filter(
        finished_at__isnull=True,
        paused_at__isnull=True,
        warned_at__isnull=True,
        deadline__gt=now,
        deadline__lte=limit,
    )
    ids = list(due.order_by("deadline").values_list("pk", flat=True)[:WARNINGS_PER_RUN])
    warned = 0
    for pk in ids:
        with transaction.atomic():
            step = (
                due.select_for_update(skip_locked=True, of=("self",))
                .select_related("dossier", "dossier__procedure", "unit", "assignee")
                .filter(pk=pk)
                .first()
            )
            if step is None:
                continue  # finished, paused or warned meanwhile, or another worker has it
            step.warned_at = now
            step.save(update_fields=["warned_at"])
            for officer in step_people(step):
                officer_notify(
                    officer=officer, dossier=step.dossier, template=DUE_SOON, context={"step": step}
                )
            warned += 1
    if warned:
        logger.info("step deadline warnings: %s steps", warned)
    return warned
