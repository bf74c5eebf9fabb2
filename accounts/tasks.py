"""Background jobs for accounts: email delivery and the outbox sweep."""

import smtplib

from celery import shared_task

from . import services

# Transient delivery failures worth retrying; anything else is a bug and is logged by Celery.
RETRYABLE = (smtplib.SMTPException, OSError, TimeoutError)


@shared_task(bind=True, max_retries=10, acks_late=True)
def send_email(self, email_id: int) -> bool:
    """Deliver one outbox email; retried with exponential backoff while SMTP is unavailable."""
    try:
        return services.email_deliver(email_id=email_id)
    except RETRYABLE as exc:
        countdown = min(600, 5 * 2**self.request.retries)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task
def outbox_sweep() -> int:
    """Periodic (beat): queue again emails whose first hand-off to the broker was lost."""
    return services.outbox_requeue_stale()
