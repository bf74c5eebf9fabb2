"""Wires allauth's events to our services (no business flow is driven by signals), and drops what
the cache holds of a user whose row, groups, permissions or second factor change: the cached
signed-in user (accounts/backends.py) and the stored private pages (core/cache.py). What a
notification moves is declared in accounts/cache.py."""

import logging

from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from allauth.account.signals import email_confirmed
from allauth.mfa.models import Authenticator

from core.addresses import client_ip

from . import services
from .backends import user_changed
from .models import User

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
    security_log.warning("sign-in failed login=%s ip=%s", _masked(str(login)), client_ip(request))


@receiver(user_logged_in)
def on_logged_in(sender, request, user, **kwargs) -> None:
    security_log.info("sign-in user=%s staff=%s ip=%s", user.pk, user.is_staff, client_ip(request))


@receiver(post_save, sender=User, dispatch_uid="accounts-pages-saved-user")
@receiver(post_delete, sender=User, dispatch_uid="accounts-pages-deleted-user")
def on_user_saved(sender, instance: User, **kwargs) -> None:
    user_changed([instance.pk])


def _group_users(group_ids) -> list[int]:
    return list(
        User.groups.through.objects.filter(group_id__in=group_ids).values_list("user_id", flat=True)
    )


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="accounts-pages-user-groups")
@receiver(
    m2m_changed, sender=User.user_permissions.through, dispatch_uid="accounts-pages-user-perms"
)
def on_user_groups_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    """A user's groups or direct permissions changed (from either side of the relation)."""
    if reverse and action == "pre_clear":
        # group.user_set.clear() / permission.user_set.clear(): the users are known only before.
        user_changed(instance.user_set.values_list("pk", flat=True))
    elif action.startswith("post_"):
        user_changed((pk_set or ()) if reverse else (instance.pk,))


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="accounts-pages-group-perms")
def on_group_permissions_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    """A group's permissions changed: every member's cached permissions are out of date."""
    if reverse and action == "pre_clear":
        user_changed(_group_users(instance.group_set.values_list("pk", flat=True)))
    elif action.startswith("post_"):
        user_changed(_group_users((pk_set or ()) if reverse else (instance.pk,)))


@receiver(pre_delete, sender=Group, dispatch_uid="accounts-pages-deleted-group")
def on_group_deleted(sender, instance: Group, **kwargs) -> None:
    user_changed(_group_users([instance.pk]))


@receiver(post_save, sender=Authenticator, dispatch_uid="accounts-pages-saved-authenticator")
@receiver(post_delete, sender=Authenticator, dispatch_uid="accounts-pages-deleted-authenticator")
def on_authenticator_changed(sender, instance: Authenticator, **kwargs) -> None:
    """A second factor added or removed: the cached user knows whether it has one."""
    user_changed([instance.user_id])
