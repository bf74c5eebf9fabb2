"""Writes for accounts: profiles, notifications, the audit log, staff invitations and the email
outbox (queued here; delivered by accounts/outbox.py through the tasks of accounts/tasks.py)."""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core.addresses import client_ip

from .models import AuditEntry, Notification, OutgoingEmail, StaffInvitation, User
from .tasks import email_enqueue

logger = logging.getLogger(__name__)


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
    transaction.on_commit(lambda: email_enqueue(email.pk))
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
