"""Authentication backends that read the signed-in user from the cache.

Every request of a signed-in person loads their user row (Django's `get_user`), and every staff
request in the admin also their agency membership and permissions: three or four queries before
the page does anything. These backends keep the loaded user — with its membership and, for staff,
its permissions already worked out — in the shared cache for `USER_CACHE_SECONDS`, so a request
costs one cache read instead.

The copy is dropped (now and again on commit) whenever anything in it can change: the user row
(password, e-mail, active flag, names…), its groups or direct permissions, the permissions of
one of its groups, a group being deleted, its staff membership (accounts/signals.py). The copy
holds no password hash, only the session hash Django checks every request against
(`User.without_password_hash`): the cache never holds what an offline guesser needs.
What the signals cannot see (a bulk `QuerySet.update()` or raw SQL on these tables) shows within
`USER_CACHE_SECONDS`.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.cache import cache
from django.db import transaction

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled

from core.cache import tags_changed, user_tag

USER_CACHE_SECONDS = 300
# Relations of the user that apps above accounts define and that most requests read (the staff
# membership procedures defines): loaded with the user, and kept in its cached copy.
_cached_relations: list[str] = []


def register_cached_user_relation(name: str) -> None:
    """Load the user's one-to-one or foreign-key relation `name` with the signed-in user (and
    keep it in the cached copy); for an app's `AppConfig.ready()`."""
    if name not in _cached_relations:
        _cached_relations.append(name)


def user_cache_key(user_id: object) -> str:
    return f"accounts:signed-in-user:{user_id}"


def user_changed(user_ids: Iterable[int]) -> None:
    """Whatever the cache holds of these users is out of date: their cached copies (dropped
    now, and again once the transaction commits, since a request may have cached the old row
    meanwhile) and their stored private pages (core/cache.py)."""
    user_ids = set(user_ids)
    if not user_ids:
        return
    keys = [user_cache_key(pk) for pk in user_ids]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))
    tags_changed(*(user_tag(pk) for pk in user_ids))


class CachedUserMixin:
    # Provided by the Django or allauth backend this is mixed into.
    user_can_authenticate: Callable[[Any], bool]

    def get_user(self, user_id):
        key = user_cache_key(user_id)
        user = cache.get(key)
        if user is None:
            user = self._load_user(user_id)
            if user is None:
                return None
            cache.set(key, user.without_password_hash(), USER_CACHE_SECONDS)
        return user if self.user_can_authenticate(user) else None

    def _load_user(self, user_id):
        from .models import User

        users = User._default_manager.all()
        if _cached_relations:  # select_related() with no name would follow every foreign key
            users = users.select_related(*_cached_relations)
        try:
            user = users.get(pk=user_id)
        except User.DoesNotExist:
            return None
        if user.is_staff:
            # What every admin request asks (accounts.middleware): kept with the copy.
            user.cached_mfa_enabled = is_mfa_enabled(user, [Authenticator.Type.TOTP])
            if not user.is_superuser:
                # Fills the permission caches the copy carries (superusers need none).
                user.get_all_permissions()
        return user


class ModelBackend(CachedUserMixin, DjangoModelBackend):
    """Django's backend (email and password sign-in of the admin forms), cached users."""


class AuthenticationBackend(CachedUserMixin, AllauthBackend):
    """allauth's backend (the portal's sign-in), cached users."""
