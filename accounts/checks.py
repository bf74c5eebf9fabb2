"""System checks of the accounts app (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_dev_outbox_off_in_production(app_configs, **kwargs) -> list[Error]:
    """The development outbox shows every email sent, with its sign-in and reset links: it must
    never be served by a production deployment (DJANGO_PRODUCTION, or DEBUG off)."""
    if settings.DEV_OUTBOX_ENABLED and (settings.PRODUCTION or not settings.DEBUG):
        return [
            Error(
                "The development outbox (/dev/outbox/) is enabled in production: it shows every "
                "email the portal sends, with the links in them.",
                hint="Unset DEV_OUTBOX_ENABLED (it is off by default unless DEBUG is on).",
                id="accounts.E001",
            )
        ]
    return []
