"""Background jobs for accounts: email delivery, its hand-off to the broker and the outbox sweep."""

import logging
import smtplib
from datetime import timedelta

from django.utils import timezone

from celery import shared_task

from . import outbox
from .constants import EmailStatus
from .models import OutgoingEmail

logger = logging.getLogger(__name__)

# An email queued longer ago than this and still pending is queued again by the sweep.
OUTBOX_REQUEUE_AFTER = timedelta(minutes=2)

# Transient delivery failures worth retrying; anything else is a bug and is logged by Celery.
RETRYABLE = (smtplib.SMTPException, OSError, TimeoutError)


def retry_countdown(retries: int) -> int:
    """Seconds before the next try: 5, 10, 20 … capped at ten minutes."""
    return min(600, 5 * 2**retries)


@shared_task(bind=True, max_retries=10, acks_late=True)
def send_email(self, email_id: int) -> bool:
    """Deliver one outbox email; a worker retries it with exponential backoff while SMTP is
    unavailable.

    Run eagerly (no broker: inside the request or command that queued it), a failure is not
    retried in place, where every retry would hold the request for another SMTP timeout: the
    email stays pending in the outbox for `outbox_sweep` or `manage.py send_outbox`.
    """
    try:
        return outbox.email_deliver(email_id=email_id)
    except RETRYABLE as exc:
        if self.request.is_eager:
            logger.warning("email %s not sent (%s); left in the outbox", email_id, exc)
            return False
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc


@shared_task
def outbox_sweep() -> int:
    """Periodic (beat): queue again emails whose first hand-off to the broker was lost."""
    return outbox_requeue_stale()


def email_enqueue(email_id: int) -> None:
    """Hand one outbox row to Celery; a broker outage only delays it (the sweep retries)."""
    OutgoingEmail.objects.filter(pk=email_id).update(last_queued_at=timezone.now())
    try:
        send_email.delay(email_id)
    except Exception:  # broker unreachable: the row stays pending for outbox_sweep
        logger.warning("broker unavailable; email %s left for the outbox sweep", email_id)


def outbox_requeue_stale() -> int:
    """Queue again every pending email whose task may have been lost (broker down, worker died)."""
    cutoff = timezone.now() - OUTBOX_REQUEUE_AFTER
    ids = list(
        OutgoingEmail.objects.filter(status=EmailStatus.PENDING)
        .exclude(last_queued_at__gt=cutoff)
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        email_enqueue(pk)
    return len(ids)
