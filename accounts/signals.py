"""Wires allauth's events to our services (no business flow is driven by signals), and drops the
stored private pages of a user whose name, groups or notifications change (portal/cache.py)."""

import logging

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from allauth.account.signals import email_confirmed

from portal.cache import tags_changed, user_tag

from . import services
from .models import Notification, User

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


@receiver(post_save, sender=User, dispatch_uid="accounts-pages-saved-user")
def on_user_saved(sender, instance: User, **kwargs) -> None:
    tags_changed(user_tag(instance.pk))


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="accounts-pages-user-groups")
def on_user_groups_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    # reverse: a group's users changed (pk_set holds users; None on clear: all may have).
    user_ids = (pk_set or ()) if reverse else (instance.pk,)
    tags_changed(*(user_tag(pk) for pk in user_ids))


@receiver(post_save, sender=Notification, dispatch_uid="accounts-pages-saved-notification")
@receiver(post_delete, sender=Notification, dispatch_uid="accounts-pages-deleted-notification")
def on_notification_saved(sender, instance: Notification, **kwargs) -> None:
    tags_changed(user_tag(instance.user_id))
