"""django-allauth hooks: its emails go through our outbox (Celery, after commit, retried)."""

import copy
from types import SimpleNamespace
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress

from . import services
from .models import User

# What a person types into their own profile: never written to an address they have not proved.
_CHOSEN_TEXT_FIELDS = (
    "full_name",
    "phone",
    "citizen_id",
    "address",
    "organisation_name",
    "tax_code",
)


def _verified_address_of(user: User, email: str) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def _without_chosen_text(user: User, email: str) -> User:
    """A stand-in for `user` in an email to the unverified `email`: none of the text the account
    holder wrote (names, ID numbers, address…), and the recipient's own address as the login.
    Whoever registers or adds someone else's address cannot make the portal mail them a
    message of their choosing (spam or phishing under the ministry's name)."""
    stand_in = copy.copy(user)
    for field in _CHOSEN_TEXT_FIELDS:
        setattr(stand_in, field, "")
    stand_in.date_of_birth = None
    stand_in.email = email
    return stand_in


def portal_site() -> SimpleNamespace:
    """The portal as allauth's templates name a site (`current_site.name`, `.domain`): from
    settings, since the sites framework is not installed."""
    return SimpleNamespace(name=settings.PORTAL_NAME, domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render allauth's email with the portal's templates (templates/account/email/,
        templates/mfa/email/) and queue it in the outbox.

        Rendered in the user's language when the email concerns a known user (as every portal
        email), else in the language of the page that caused it (an unknown address).
        """
        known_user: User | None = context.get("user")
        if not getattr(known_user, "pk", None):
            known_user = None
        if known_user is not None and not _verified_address_of(known_user, email):
            context = {**context, "user": _without_chosen_text(known_user, email)}
        language = (
            getattr(known_user, "language", "")
            or translation.get_language()
            or settings.LANGUAGE_CODE
        )
        ctx = {
            "email": email,
            "current_site": portal_site(),
            "PORTAL_NAME": settings.PORTAL_NAME,
            "SITE_URL": settings.SITE_URL,
            "PORTAL_CONTACT_EMAIL": settings.PORTAL_CONTACT_EMAIL,
            "PORTAL_CONTACT_PHONE": settings.PORTAL_CONTACT_PHONE,
            **context,
        }
        with translation.override(language):
            msg = self.render_mail(template_prefix, email, ctx)
        html = ""
        for content, mimetype in getattr(msg, "alternatives", []):
            if mimetype == "text/html":
                html = str(content)
        services.email_queue_message(
            to=email,
            subject=msg.subject,
            body_text=str(msg.body),
            body_html=html,
            user=known_user,
        )

    def send_notification_mail(self, template_prefix, user, context=None, email=None) -> None:
        """allauth's security notices (password, email address, second factor): the user is
        passed on so the email greets them and is written in their language, with the link to
        reset the password if the change was not theirs."""
        ctx = {
            "user": user,
            "password_reset_url": settings.SITE_URL + reverse("account_reset_password"),
            **(context or {}),
        }
        super().send_notification_mail(template_prefix, user, ctx, email=email)

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        """An officer who has not claimed the account gets no reset link: only the invitation,
        which enrols TOTP together with the password, gives a staff account its first password
        (an administrator sends a new one when it expired). The page answers as for anyone."""
        if user.is_staff and not user.has_usable_password():
            return
        super().send_password_reset_mail(user, email, context)

    def save_user(self, request, user, form, commit=True):
        user.language = translation.get_language() or "vi"
        return super().save_user(request, user, form, commit=commit)
