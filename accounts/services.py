"""Writes for accounts: profiles, notifications and the email outbox."""

import hashlib
import ipaddress
import logging
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .constants import EmailStatus
from .models import AuditEntry, Notification, OutgoingEmail, StaffInvitation, User

logger = logging.getLogger(__name__)

# An email queued longer ago than this and still pending is queued again by the sweep.
OUTBOX_REQUEUE_AFTER = timedelta(minutes=2)


def _enqueue(email_id: int) -> None:
    """Hand one outbox row to Celery; a broker outage only delays it (the sweep retries)."""
    from .tasks import send_email

    OutgoingEmail.objects.filter(pk=email_id).update(last_queued_at=timezone.now())
    try:
        send_email.delay(email_id)
    except Exception:  # broker unreachable: the row stays pending for outbox_sweep
        logger.warning("broker unavailable; email %s left for the outbox sweep", email_id)


def email_queue_message(
    *, to: str, subject: str, body_text: str, body_html: str = "", user: User | None = None
) -> OutgoingEmail:
    """Store an already rendered email in the outbox and send it after the transaction commits.

    Side effects: one `OutgoingEmail` row; a Celery task queued on commit (never on rollback).
    """
    email = OutgoingEmail.objects.create(
        to=to,
        subject=subject.strip().replace("\n", " ")[:255],
        body_text=body_text,
        body_html=body_html,
        user=user,
    )
    transaction.on_commit(lambda: _enqueue(email.pk))
    return email


def email_render(*, template: str, context: dict, language: str) -> tuple[str, str, str]:
    """Render `templates/emails/<template>{_subject.txt,.txt,.html}` in `language`."""
    ctx = {"SITE_URL": settings.SITE_URL, "PORTAL_NAME": settings.PORTAL_NAME, **context}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}_subject.txt", ctx).strip()
        text = render_to_string(f"emails/{template}.txt", ctx)
        html = render_to_string(f"emails/{template}.html", ctx)
    return subject, text, html


def user_notify(
    *,
    user: User,
    template: str,
    context: dict,
    link: str = "",
    email: bool = True,
    message: str = "",
    params: dict | None = None,
) -> Notification:
    """Tell a user about an event: a notification on the personal page and (by default) an email.

    The email is rendered once, in the user's language, and sent by Celery after commit. The
    notification keeps `message` (default: `template`), a composed message of
    `accounts.messages`, and its JSON `params`, so its title is written when it is read, in the
    reader's language; the subject is kept as the title for a message that cannot be composed.
    """
    subject, text, html = email_render(
        template=template, context={"user": user, "link": link, **context}, language=user.language
    )
    notification = Notification.objects.create(
        user=user,
        title=subject,
        body=text,
        link=link,
        message=message or template,
        params=params or {},
    )
    if email:
        email_queue_message(
            to=user.email, subject=subject, body_text=text, body_html=html, user=user
        )
    return notification


def user_account_activated(*, user: User) -> None:
    """After the email address is confirmed: tell the user the account is active and how to sign in.

    Sent once per user: the first confirmation stamps `activated_at` (under a row lock); a later
    confirmation (an email change) sends nothing. The email never contains a password.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.activated_at is not None:
            return
        locked.activated_at = timezone.now()
        locked.save(update_fields=["activated_at"])
        user_notify(
            user=locked,
            template="account_activated",
            context={"login_url": settings.SITE_URL + "/accounts/login/"},
            link="/me/",
        )


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read. Raises DoesNotExist for anyone else's."""
    notification = Notification.objects.get(pk=notification_id, user=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


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


def outbox_requeue_stale() -> int:
    """Queue again every pending email whose task may have been lost (broker down, worker died)."""
    cutoff = timezone.now() - OUTBOX_REQUEUE_AFTER
    ids = list(
        OutgoingEmail.objects.filter(status=EmailStatus.PENDING)
        .exclude(last_queued_at__gt=cutoff)
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        _enqueue(pk)
    return len(ids)


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


def client_ip(request) -> str | None:
    """The client address, the one place the portal decides it (audit log, rate limits, gateway).

    With `TRUSTED_PROXY_COUNT = 0` it is REMOTE_ADDR: X-Forwarded-For is ignored, any client can
    write it. Behind N reverse proxies each appends the address it saw, so the N-th entry from the
    right is the client's; entries further left are the client's own words and never trusted.
    When the header is shorter or that entry is not an IP address, REMOTE_ADDR is used.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [
            p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
        ]
        if len(forwarded) >= hops:
            try:
                return str(ipaddress.ip_address(forwarded[-hops]))
            except ValueError:
                return remote
    return remote


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj=None,
    changes: dict | None = None,
    succeeded: bool = True,
    message: str = "",
    request=None,
) -> AuditEntry:
    """Append one entry to the staff audit log.

    Written in its own savepoint-free autocommit when called outside a transaction, so a refused
    action (whose transaction rolled back) is still recorded when the caller logs it afterwards.
    """
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action[:60],
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        changes=changes or {},
        succeeded=succeeded,
        message=message,
        ip_address=client_ip(request),
    )


# --- Staff invitations ------------------------------------------------------------------------


class InvitationInvalid(Exception):
    """The invitation link is unknown, expired or already used; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvitationCodeInvalid(Exception):
    """The authenticator code does not match the secret shown on the invitation page."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def staff_invitation_send(*, user: User, actor: User | None, request=None) -> StaffInvitation:
    """Invite a staff account to set its password and enrol TOTP through a one-time link.

    Preconditions: `user` is staff and has no usable password (never claimed).
    Side effects: earlier open invitations of the user stop working; one `StaffInvitation`
    (only the token's hash is stored); the email, in the officer's language, in the outbox and
    sent by Celery after commit; an audit entry. Raises `ValueError` for an account that is not
    staff or already has a password.
    """
    if not user.is_staff or user.has_usable_password():
        raise ValueError("Only a staff account that has no password yet can be invited.")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        StaffInvitation.objects.filter(user=user, used_at=None, expires_at__gt=now).update(
            expires_at=now
        )
        invitation = StaffInvitation.objects.create(
            user=user,
            token_hash=_token_hash(token),
            created_by=actor if getattr(actor, "pk", None) else None,
            expires_at=now + timedelta(hours=settings.STAFF_INVITATION_HOURS),
        )
        subject, text, html = email_render(
            template="staff_invitation",
            context={
                "user": user,
                "link": settings.SITE_URL + reverse("accounts:staff_invitation", args=[token]),
                "expires_at": invitation.expires_at,
            },
            language=user.language,
        )
        email_queue_message(to=user.email, subject=subject, body_text=text, body_html=html)
        audit_record(actor=actor, action="staff_invite", obj=user, request=request)
    return invitation


def staff_invitation_open(*, token: str) -> StaffInvitation:
    """The invitation behind a link, if it can still be used. Raises `InvitationInvalid`."""
    return _usable(
        StaffInvitation.objects.select_related("user").filter(token_hash=_token_hash(token)).first()
    )


def _usable(invitation: StaffInvitation | None) -> StaffInvitation:
    if invitation is None:
        raise InvitationInvalid("unknown")
    if invitation.used_at is not None or invitation.user.has_usable_password():
        raise InvitationInvalid("used")
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid("expired")
    return invitation


def staff_invitation_accept(*, token: str, password: str, totp_secret: str, code: str) -> User:
    """Claim a staff account: the password and the TOTP authenticator, together or not at all.

    Preconditions: `password` passed the password validators. The invitation row is locked,
    so a link works once even when submitted twice at the same moment.
    Side effects: the password set; a TOTP authenticator for `totp_secret` (the code is marked
    used, so it cannot sign in a second time); the email address verified and primary; the
    invitation marked used; an audit entry. Raises `InvitationInvalid` (unknown, expired, used)
    and `InvitationCodeInvalid` (nothing is written then).
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP

    with transaction.atomic():
        invitation = _usable(
            StaffInvitation.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_token_hash(token))
            .first()
        )
        user = User.objects.select_for_update().get(pk=invitation.user_id)
        totp = TOTP.activate(user, totp_secret)
        if not totp.validate_code(code):
            raise InvitationCodeInvalid  # the atomic block takes the authenticator back
        user.set_password(password)
        user.activated_at = user.activated_at or timezone.now()
        user.save(update_fields=["password", "activated_at"])
        EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(
            primary=False
        )
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at"])
        audit_record(actor=user, action="staff_invitation_accept", obj=user)
    return user
