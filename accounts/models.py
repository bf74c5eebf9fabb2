"""Users (citizens, organisations, staff), their notifications and the email outbox."""

import copy
import functools
from collections.abc import Iterable
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils import formats, timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from allauth.mfa.models import Authenticator

from .constants import ApplicantType, EmailStatus
from .messages import message_render, messages_render

citizen_id_validator = RegexValidator(
    r"^\d{12}$", _("A citizen ID (CCCD) number has exactly 12 digits.")
)
tax_code_validator = RegexValidator(
    r"^\d{10}(-\d{3})?$", _("A tax code has 10 digits, optionally followed by -NNN.")
)
phone_validator = RegexValidator(
    r"^\+?[0-9 .]{9,15}$", _("Enter a phone number of 9 to 15 digits.")
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in: a citizen, an organisation's representative or agency staff."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    citizen_id = models.CharField(
        _("citizen ID number (CCCD)"), max_length=12, blank=True, validators=[citizen_id_validator]
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    applicant_type = models.CharField(
        _("applicant type"), max_length=20, choices=ApplicantType, default=ApplicantType.PERSON
    )
    organisation_name = models.CharField(_("organisation name"), max_length=255, blank=True)
    tax_code = models.CharField(
        _("tax code"), max_length=14, blank=True, validators=[tax_code_validator]
    )
    language = models.CharField(_("language"), max_length=8, default="vi")
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # The stubs type AbstractUser.objects as auth's UserManager; ours signs in by email.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    # Set on the copy the cached-user backend keeps for staff (accounts/backends.py).
    cached_mfa_enabled: bool

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name or self.email

    # --- The copy the cache keeps (accounts/backends.py) -----------------------------------

    def without_password_hash(self) -> "User":
        """A copy for the shared cache that does not hold the password hash.

        Django checks a session against the user's session hash on every request, and the admin
        asks on every page whether the password is usable, so the copy keeps those two answers
        (the hash tied to the current SECRET_KEY) instead. Whatever needs the password itself
        (a sign-in, the password-change form) loads it from the database, as for a deferred
        field; `save()` of such a copy writes only the fields it holds."""
        kept = copy.copy(self)
        kept.__dict__[_KEPT] = (
            _secret_digest(),
            self.get_session_auth_hash(),
            self.has_usable_password(),
        )
        kept.__dict__.pop("password", None)
        return kept

    def get_session_auth_hash(self) -> str:
        kept = self.__dict__.get(_KEPT)
        if kept is not None and kept[0] == _secret_digest():
            return kept[1]
        return super().get_session_auth_hash()

    def has_usable_password(self) -> bool:
        kept = self.__dict__.get(_KEPT)
        return kept[2] if kept is not None else super().has_usable_password()

    def set_password(self, raw_password: str | None) -> None:
        # A new password: new answers (update_session_auth_hash reads the hash next).
        self.__dict__.pop(_KEPT, None)
        super().set_password(raw_password)


_KEPT = "_kept_password_answers"


def _secret_digest() -> str:
    """Which SECRET_KEY a kept session hash was made with (after a rotation Django checks the
    session against the fallback keys, which needs the password hash from the database)."""
    return _digest_of(settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _digest_of(secret: str) -> str:
    digest = salted_hmac("accounts.User.kept-answers", "", secret=secret, algorithm="sha256")
    return digest.hexdigest()[:16]


class Notification(models.Model):
    """A message on the personal page (Trang cá nhân), mirroring the emails."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The title as written in the recipient's language when sent; shown only when the message
    # below cannot be composed (older rows, a message no longer in the table).
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("body"), blank=True)
    # The composed title (accounts.messages): a message id and its parameters, rendered when
    # read, in the reader's language.
    message = models.CharField(_("message"), max_length=60, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["user", "-created_at"]),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title

    # Set by `notifications_titled` for a whole page at once.
    _display_title: str | None = None

    @property
    def display_title(self) -> str:
        """The title in the active language (see `notifications_titled` for a whole page)."""
        if self._display_title is None:
            return message_render(self.message, self.params) or self.title
        return self._display_title


def notifications_titled(notifications: Iterable[Notification]) -> list[Notification]:
    """The notifications with their titles composed in the active language, in one go (the
    catalogue names they mention are loaded once for the page)."""
    rows = list(notifications)
    texts = messages_render((n.message, n.params) for n in rows)
    for notification, text in zip(rows, texts, strict=True):
        notification._display_title = text or notification.title
    return rows


class OutgoingEmail(models.Model):
    """The email outbox: a row per email, written in the same transaction as the action.

    A Celery task sends it after commit; if the broker was down, the periodic sweep queues it
    again. The row is locked while sending and marked sent, so it is delivered once.
    """

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("user"),
    )
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=EmailStatus, default=EmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_queued_at = models.DateTimeField(_("last queued at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "last_queued_at"])]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class AuditEntry(models.Model):
    """A staff action (who, when, what, on which object, with what outcome), kept apart from the
    public dossier history. Append-only; read-only in admin."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    # Field changes as {"field": [old, new]}, or any details of the action.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=True)
    message = models.TextField(_("message"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-created_at"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        when = formats.date_format(timezone.localtime(self.created_at), "SHORT_DATETIME_FORMAT")
        return f"{when} {self.actor} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)


class SecondFactor(Authenticator):
    """allauth's second factors (authenticator app, recovery codes) under a name staff read in
    their language: allauth's model has no translated name."""

    class Meta:
        proxy = True
        verbose_name = _("second factor")
        verbose_name_plural = _("second factors")


class StaffInvitation(models.Model):
    """A one-time link that lets a new officer set a password and enrol TOTP in one flow.

    Staff accounts are created by an administrator without a password; the officer claims the
    account through this link only, which works once and until `expires_at`. Only a hash of the
    token is stored: the link itself is in the email alone.
    """

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="staff_invitations",
        verbose_name=_("officer"),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    created_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("staff invitation")
        verbose_name_plural = _("staff invitations")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"
