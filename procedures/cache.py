"""The procedure catalogue's page-cache tag (core/cache.py), which also keys cached catalogue
reads, and the one place this app declares which of its models move it.

Every cached value derived from the catalogue puts `catalogue_version()` in its key, and every
stored page that shows catalogue data carries `CATALOGUE_TAG` among its tags; saving or deleting
any catalogue row (an agency, a field, a procedure and each part of its guidance: steps,
components, form fields, fees) and every run of `load_catalogue` calls `catalogue_changed()`, so
the next read misses and recomputes.
"""

from django.http import HttpRequest

from core.cache import tag_versions, tags_changed, tags_moved_by

from .models import (
    Agency,
    DossierComponent,
    Fee,
    Field,
    FormField,
    Procedure,
    ProcedureStep,
    Unit,
)

CATALOGUE_TAG = "procedures:catalogue-version"
# Catalogue reads shared by every public page are kept this long (seconds) at most.
CATALOGUE_CACHE_SECONDS = 300


def catalogue_version(request: HttpRequest | None = None) -> str:
    """The current catalogue version token (created on first use); given the request, the one
    its page cache already read, if it did."""
    return tag_versions([CATALOGUE_TAG], request)[0]


def catalogue_changed() -> None:
    """Invalidate every cached catalogue read and stored catalogue page: now, and again once
    the transaction commits."""
    tags_changed(CATALOGUE_TAG)


def catalogue_tags(request: HttpRequest) -> list[str]:
    """The tags of a page that shows nothing but the catalogue (for `anonymous_page_cache`)."""
    return [CATALOGUE_TAG]


def catalogue_cache_key(name: str, *parts: object) -> str:
    """A cache key for `name` under the current catalogue version."""
    return ":".join(["procedures", name, catalogue_version(), *(str(p) for p in parts)])


tags_moved_by(
    Agency,
    Field,
    Procedure,
    ProcedureStep,
    DossierComponent,
    FormField,
    Fee,
    # A unit's name shows on the public lookup of the dossiers it handles.
    Unit,
    tags=lambda instance: [CATALOGUE_TAG],
)
