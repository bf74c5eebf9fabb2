"""Background jobs for accounts: email delivery and the outbox sweep."""

import logging
import smtplib

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)

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
        return services.email_deliver(email_id=email_id)
    except RETRYABLE as exc:
        if self.request.is_eager:
            logger.warning("email %s not sent (%s); left in the outbox", email_id, exc)
            return False
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc


@shared_task
def outbox_sweep() -> int:
    """Periodic (beat): queue again emails whose first hand-off to the broker was lost."""
    return services.outbox_requeue_stale()
