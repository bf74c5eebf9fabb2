"""Background jobs for dossiers: the supplement deadline sweep and the step deadline warnings
(beat)."""

from celery import shared_task

from . import services
from .services.staff_notify import step_deadline_warnings


@shared_task
def supplement_deadline_sweep() -> dict[str, int]:
    """Periodic (beat, hourly): remind applicants two working days before a supplement deadline,
    once per request, and flag overdue requests for staff. Deletes nothing; safe to run twice."""
    return services.supplement_deadline_sweep()


@shared_task
def step_deadline_sweep() -> int:
    """Periodic (beat, hourly): warn the people of each open step of the internal process due
    within one working day, once per step. Safe to run twice."""
    return step_deadline_warnings()
