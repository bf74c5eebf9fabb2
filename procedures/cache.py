"""A version token for the procedure catalogue, to key cached catalogue reads and pages.

Every cached value derived from the catalogue puts `catalogue_version()` in its key; saving or
deleting a Procedure, Field or Agency (and every run of `load_catalogue`) calls
`catalogue_changed()`, so the next read misses and recomputes. The token is random rather than a
counter: if the cache evicts it, a fresh token can never collide with keys written under an
older one.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "procedures:catalogue-version"
# Catalogue reads shared by every public page are kept this long (seconds) at most.
CATALOGUE_CACHE_SECONDS = 300


def catalogue_version() -> str:
    """The current catalogue version token (created on first use)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or "0"
    return version


def _bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def catalogue_changed() -> None:
    """Invalidate every cached catalogue read: now, and again once the transaction commits.

    The second bump covers a request that re-cached the old rows between the write and the
    commit.
    """
    _bump()
    transaction.on_commit(_bump)


def catalogue_cache_key(name: str, *parts: object) -> str:
    """A cache key for `name` under the current catalogue version."""
    return ":".join(["procedures", name, catalogue_version(), *(str(p) for p in parts)])
