"""Delivery of the email outbox: one email at most once, or every pending one now.

The services store rendered emails in the outbox and queue them (accounts/services.py,
accounts/tasks.py); this module only sends them, and imports neither.
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from .constants import EmailStatus
from .models import OutgoingEmail

logger = logging.getLogger(__name__)


def email_deliver(*, email_id: int) -> bool:
    """Send one outbox email over the configured backend, at most once.

    Locks the row so concurrent workers cannot both send it. Returns False when it was already
    sent. Raises the backend's exception (SMTP, socket) so the task can retry with backoff.
    """
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
        if email.status == EmailStatus.SENT:
            return False
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            to=[email.to],
            from_email=settings.DEFAULT_FROM_EMAIL,
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        try:
            message.send()
        except Exception as exc:  # recorded, then re-raised outside the block for the retry
            email.attempts += 1
            email.last_error = str(exc)[:1000]
            email.save(update_fields=["attempts", "last_error"])
            error: Exception | None = exc
        else:
            error = None
            email.status = EmailStatus.SENT
            email.sent_at = timezone.now()
            email.attempts += 1
            email.last_error = ""
            email.save(update_fields=["status", "sent_at", "attempts", "last_error"])
    if error is not None:
        raise error
    return True


def outbox_deliver_pending(*, limit: int = 500) -> tuple[int, int]:
    """Send the pending outbox emails now, oldest first, one attempt each (`manage.py
    send_outbox`): for eager Celery, where no worker retries, or to flush the outbox by hand.

    A refusal of one message (recipient, sender, content) moves on to the next; any other
    failure means the mail server is unreachable, so the rest is left for a later run rather
    than waiting for one timeout per email. Returns (sent, still pending).
    """
    per_message = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
    ids = list(
        OutgoingEmail.objects.filter(status=EmailStatus.PENDING)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in ids:
        try:
            sent += email_deliver(email_id=pk)
        except per_message as exc:
            logger.warning("email %s refused by the mail server: %s", pk, exc)
        except Exception as exc:
            logger.warning("mail server unavailable (%s); the outbox is left for later", exc)
            break
    return sent, OutgoingEmail.objects.filter(status=EmailStatus.PENDING).count()
