"""Background jobs for dossiers: the supplement deadline sweep (beat)."""

from celery import shared_task

from . import services


@shared_task
def supplement_deadline_sweep() -> dict[str, int]:
    """Periodic (beat, hourly): remind applicants two working days before a supplement deadline,
    once per request, and flag overdue requests for staff. Deletes nothing; safe to run twice."""
    return services.supplement_deadline_sweep()
