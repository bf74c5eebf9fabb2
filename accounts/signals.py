"""Wires allauth's events to our services (no business flow is driven by signals)."""

import logging

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from allauth.account.signals import email_confirmed

from . import services

# Security events (sign-ins, refused uploads…) for the operators' log collection.
security_log = logging.getLogger("portal.security")


@receiver(email_confirmed)
def on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    services.user_account_activated(user=email_address.user)


def _masked(login: str) -> str:
    """Mask a login, an@example.com → a***@example.com: enough to spot an attack, no more."""
    name, at, domain = (login or "").partition("@")
    return f"{name[:1]}***{at}{domain}" if name else "-"


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    login = credentials.get("email") or credentials.get("username") or ""
    security_log.warning(
        "sign-in failed login=%s ip=%s", _masked(str(login)), services.client_ip(request)
    )


@receiver(user_logged_in)
def on_logged_in(sender, request, user, **kwargs) -> None:
    security_log.info(
        "sign-in user=%s staff=%s ip=%s", user.pk, user.is_staff, services.client_ip(request)
    )
