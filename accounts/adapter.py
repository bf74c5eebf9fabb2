"""django-allauth hooks: its emails go through our outbox (Celery, after commit, retried)."""

from types import SimpleNamespace
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from allauth.account.adapter import DefaultAccountAdapter

from . import services


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
        user = context.get("user")
        known_user = user if getattr(user, "pk", None) else None
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

    def save_user(self, request, user, form, commit=True):
        user.language = translation.get_language() or "vi"
        return super().save_user(request, user, form, commit=commit)
