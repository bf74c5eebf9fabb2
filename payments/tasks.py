"""Background jobs for payments: the confirmation PDF and the reconciliation sweep.

The services queue these by name (`services.common._queue_task`): tasks call services, never
the reverse.
"""

from celery import shared_task

from . import services


@shared_task(bind=True, max_retries=5, acks_late=True)
def payment_confirmation_render(self, payment_id: int) -> bool:
    """Render and keep the payment confirmation PDF once; retried with backoff on failure."""
    try:
        return services.payment_confirmation_store(payment_id=payment_id)
    except OSError as exc:
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from exc


@shared_task
def payments_reconcile() -> int:
    """Periodic (beat): settle online attempts left `initiated` past their expiry via querydr."""
    return len(services.payments_reconcile())
