"""Whole-page cache with version tags, for public pages and for a signed-in user's own pages.

A stored page remembers the version tokens of the *tags* it was built from: cache keys that each
hold a random token, such as the catalogue's version, one dossier's, one citizen's, one agency's.
Each app declares which tags its models move (`tags_moved_by`, in the app's cache.py); saving or
deleting such an instance, or any other caller of `tags_changed(tag, …)`, gives the tag a new
token now and again once the transaction commits (the second bump covers a request that rebuilt
the page from the old rows in between). The page and its tags are read in one round trip
(`cache.get_many`); if any token moved, the page is rebuilt. Tokens are random rather than
counters, so a tag the cache evicted can never come back with an old value.

Two kinds of pages:

- `anonymous_page_cache`: a visitor who carries no cookie but the language one sees exactly what
  every other such visitor sees in the same language. A session or CSRF cookie or a signed-in
  user keeps the request out of the cache. Only the query parameters the page reads (`params`)
  are part of its key, and the view sees only those: `/?utm=1` is `/`, so nobody fills the
  cache with copies of one page.
- `private_page_cache` (and `serve_private_page` for admin views): a signed-in user's own page,
  keyed by the user and the browser's CSRF secret (the page's sign-out form carries a token made
  from it), always tagged with `user_tag(user)`. A request with a flash message waiting is
  neither served from nor stored in the cache: the page must show the message.

Never stored: anything but a 200 answer to GET/HEAD, a streaming answer, an answer that set a
cookie, a page that used its CSP nonce (a nonce must never be replayed), a public page that
rendered a CSRF token, and a response the view marked with `do_not_store`. Only the view's
response is stored; the middleware still adds its headers (CSP, Vary, …) to every answer.
Every key names the day, so pages that say "overdue" or "on time" turn with the calendar.
"""

import functools
import hashlib
import uuid
import zoneinfo
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csp import get_nonce
from django.template.response import SimpleTemplateResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.connection import ConnectionProxy
from django.utils.http import urlencode

KEY_PREFIX = "pagecache"
# Tags outlive the pages built from them; an expired tag only makes its pages miss once.
TAG_SECONDS = 24 * 3600
_SKIP = "_page_cache_do_not_store"
_PREFETCHED = "_page_cache_prefetched"
_KEYS = "_page_cache_keys"
_TAGS = "_page_cache_tags"

TagsFor = Callable[[HttpRequest], Iterable[str]]


def user_tag(user_id: int) -> str:
    """The tag of what every private page shows of its user (name, unread notifications)."""
    return f"pagetag:user:{user_id}"


def signed_in_user_id(request: HttpRequest) -> int:
    """The id of the signed-in user whose private page this is."""
    user_id = request.user.pk
    if user_id is None:  # never: private pages are behind login_required
        raise PermissionDenied
    return user_id


def tags_changed(*tags: str) -> None:
    """Make every stored page built from any of `tags` unreachable: now, and again on commit."""
    tags = tuple(dict.fromkeys(t for t in tags if t))
    if not tags:
        return

    def bump() -> None:
        cache.set_many({tag: uuid.uuid4().hex for tag in tags}, TAG_SECONDS)

    bump()
    transaction.on_commit(bump)


# --- Which writes move which tags ------------------------------------------------------------

TagsOf = Callable[[Any], Iterable[str]]
_MOVED_BY: dict[type[Model], list[TagsOf]] = {}


def tags_moved_by(*models: type[Model], tags: TagsOf) -> None:
    """Declare that saving or deleting an instance of any of `models` moves `tags(instance)`.

    Each app declares the tags its models feed in one place, its `cache.py`, imported by its
    `AppConfig.ready()`; this module knows no app. A write that bypasses the model signals
    (`QuerySet.update`, `bulk_create`) calls `tags_changed` itself.
    """
    for model in models:
        declared = _MOVED_BY.setdefault(model, [])
        if tags in declared:
            continue
        declared.append(tags)
        label = model._meta.label_lower
        post_save.connect(_instance_written, sender=model, dispatch_uid=f"pagetags-save-{label}")
        post_delete.connect(
            _instance_written, sender=model, dispatch_uid=f"pagetags-delete-{label}"
        )


def models_moving_tags() -> dict[type[Model], list[TagsOf]]:
    """Every model with declared tags, and the functions that name them."""
    return {model: list(tags) for model, tags in _MOVED_BY.items()}


def _instance_written(sender: type[Model], instance: Model, **kwargs) -> None:
    tags_changed(*(tag for tags_of in _MOVED_BY.get(sender, ()) for tag in tags_of(instance)))


def do_not_store(response: HttpResponse) -> HttpResponse:
    """Mark a response its view does not want stored (e.g. "no dossier with this code")."""
    setattr(response, _SKIP, True)
    return response


# --- Which requests and responses ------------------------------------------------------------


def _anonymous_request(request: HttpRequest) -> bool:
    """A GET with no cookie but the language one. Without a session cookie nobody is signed in
    (sessions are the portal's only sign-in), so the user need not be loaded to know it."""
    if request.method not in ("GET", "HEAD"):
        return False
    return all(name == settings.LANGUAGE_COOKIE_NAME for name in request.COOKIES)


def _private_request(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if not request.user.is_authenticated or not request.META.get("CSRF_COOKIE"):
        return False
    # len() loads the waiting messages without marking them shown.
    return len(get_messages(request)) == 0


def _storable(request: HttpRequest, response: HttpResponse, *, private: bool) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if getattr(response, _SKIP, False):
        return False
    # A public page rendered {% csrf_token %}: the middleware would set a cookie for it. (A
    # private page's token belongs to the CSRF secret that is part of its key.)
    if not private and request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    # The nonce is generated only when a template used it; a stored page would replay it.
    if get_nonce(request):
        return False
    return "nonce-" not in response.headers.get("Content-Security-Policy", "")


def page_cache_key(
    request: HttpRequest, *, private: bool, params: tuple[str, ...] | None = None
) -> str:
    """Path, sorted query, language, day and, for a private page, its user and CSRF secret.

    With `params`, the query is only those parameters (the last value of each, as the view's
    `request.GET.get` reads it); without, the whole query."""
    known = request.__dict__.setdefault(_KEYS, {})
    if (private, params) not in known:
        known[private, params] = _page_cache_key(request, private=private, params=params)
    return known[private, params]


def _meaningful_query(request: HttpRequest, params: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (name, value) pairs of `params` in the request's query, sorted by name."""
    return [(name, request.GET[name]) for name in sorted(params) if name in request.GET]


def _keep_only(request: HttpRequest, params: tuple[str, ...]) -> None:
    """Make the view see only `params` in the query: a stored page then depends on nothing its
    key leaves out (not even the language links, which repeat the request's full path)."""
    pairs = _meaningful_query(request, params)
    if len(pairs) == sum(len(values) for values in request.GET.lists()):
        return
    query = urlencode(pairs)
    request.GET = QueryDict(query)
    request.META["QUERY_STRING"] = query


def _page_cache_key(request: HttpRequest, *, private: bool, params: tuple[str, ...] | None) -> str:
    if params is None:
        pairs = sorted((k, v) for k, values in request.GET.lists() for v in values)
    else:
        pairs = _meaningful_query(request, params)
    parts = [
        request.path,
        urlencode(pairs),
        # Set by LocaleMiddleware; both are plain reads, unlike the thread-local lookups of
        # translation.get_language() and timezone.localdate() (≈ 15 µs on a cached page).
        getattr(request, "LANGUAGE_CODE", None) or translation.get_language() or "",
        datetime.now(_portal_zone()).date().isoformat(),
    ]
    if private:
        parts += [str(request.user.pk), request.META["CSRF_COOKIE"]]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"{KEY_PREFIX}:{'private' if private else 'public'}:{digest}"


@functools.cache
def _portal_zone() -> zoneinfo.ZoneInfo:
    """The portal's time zone (TIME_ZONE), whose calendar day is part of every key."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


# --- Reading and storing -------------------------------------------------------------------


def hold_prefetched(request: HttpRequest, keys: Iterable[str], values: dict) -> None:
    """Keep cache values read for this request in another round trip (the rate limiter's), so
    that `serve` need not read them again."""
    setattr(request, _PREFETCHED, (frozenset(keys), values))


def _read(request: HttpRequest, keys: list[str]) -> dict:
    held = getattr(request, _PREFETCHED, None)
    if held is not None and held[0].issuperset(keys):
        return held[1]
    return cache.get_many(keys)


def _adding_backend():
    """The cache backend behind `cache` when it can add and read in one round trip (the
    portal's Redis backend, `core.redis_cache.RedisCache`), else None."""
    backend = caches[DEFAULT_CACHE_ALIAS] if isinstance(cache, ConnectionProxy) else cache
    return backend if hasattr(backend, "add_and_get_many") else None


def _versions(values: dict, tags: list[str]) -> tuple[str, ...]:
    """The tags' tokens from a get_many answer, creating (once) those the cache lacks."""
    missing = [tag for tag in tags if values.get(tag) is None]
    if missing:
        tokens = {tag: uuid.uuid4().hex for tag in missing}
        adding = _adding_backend()
        if adding is not None:
            found = adding.add_and_get_many(tokens, missing, TAG_SECONDS)
        else:
            for tag, token in tokens.items():
                cache.add(tag, token, TAG_SECONDS)
            found = cache.get_many(missing)
        values = {**values, **found}
    return tuple(values.get(tag) or "" for tag in tags)


def tag_versions(tags: list[str], request: HttpRequest | None = None) -> tuple[str, ...]:
    """The current tokens of `tags` (created on first use), e.g. to key other cached values.

    Given the request, tokens its page cache already read for it (`hold_prefetched`) are not
    read again."""
    values = _read(request, tags) if request is not None else cache.get_many(tags)
    return _versions(values, tags)


def _replay(entry: tuple) -> HttpResponse:
    _versions_built, status, headers, content = entry
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response.headers[name] = value
    return response


def serve(
    request: HttpRequest,
    build: Callable[[], HttpResponse],
    *,
    timeout: int,
    tags: Iterable[str] = (),
    private: bool = False,
    params: tuple[str, ...] | None = None,
) -> HttpResponse:
    """The stored page for this request if its tags have not moved, else `build()` (stored
    when it may be). The caller has already decided the request is cacheable; `params` are
    the query parameters the key keeps (None: all of them)."""
    key = page_cache_key(request, private=private, params=params)
    tags = list(tags)
    if private:
        tags.append(user_tag(signed_in_user_id(request)))
    values = _read(request, [key, *tags])
    versions = _versions(values, tags)
    entry = values.get(key)
    if entry is not None and entry[0] == versions:
        return _replay(entry)

    response = build()
    # The answer depends on the cookies (signed in or not, whose page): say so to HTTP caches
    # in the stored page itself, since a stored answer never reaches the session middleware
    # that would otherwise add it.
    patch_vary_headers(response, ("Cookie",))
    if not _storable(request, response, private=private):
        return response

    def store(rendered: HttpResponse) -> None:
        if getattr(rendered, _SKIP, False):
            return
        headers = list(rendered.headers.items())
        cache.set(key, (versions, rendered.status_code, headers, rendered.content), timeout)

    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.add_post_render_callback(store)
    else:
        store(response)
    return response


# --- Decorators ------------------------------------------------------------------------------


class anonymous_page_cache:  # noqa: N801  (used as a decorator)
    """Decorate a public GET view: serve and store its whole page for anonymous visitors.

    `timeout` is in seconds; `params` names the query parameters the view reads (any other is
    dropped from the anonymous request before the view sees it, and from the key); `tags`
    returns the request's tags (e.g. the procedure catalogue's, procedures/cache.py), whose move
    makes the stored pages unreachable at once. `keys(request)` names the cache keys a request
    reads, for a decorator outside it to fetch in its own round trip (`hold_prefetched`).
    """

    def __init__(
        self,
        timeout: int,
        *,
        params: Iterable[str] = (),
        tags: TagsFor | None = None,
    ):
        self.timeout = timeout
        self.params = tuple(params)
        self.tags = tags

    def _tags(self, request: HttpRequest) -> list[str]:
        """The request's tags, worked out once (keys() and the view both need them)."""
        known = request.__dict__.setdefault(_TAGS, {})
        if id(self) not in known:
            known[id(self)] = list(self.tags(request)) if self.tags else []
        return known[id(self)]

    def keys(self, request: HttpRequest) -> list[str]:
        if not _anonymous_request(request):
            return []
        return [
            page_cache_key(request, private=False, params=self.params),
            *self._tags(request),
        ]

    def __call__(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _anonymous_request(request):
                return view(request, *args, **kwargs)
            _keep_only(request, self.params)
            return serve(
                request,
                lambda: view(request, *args, **kwargs),
                timeout=self.timeout,
                tags=self._tags(request),
                params=self.params,
            )

        return wrapped


def serve_private_page(
    request: HttpRequest,
    build: Callable[[], HttpResponse],
    *,
    timeout: int,
    tags: Iterable[str] = (),
) -> HttpResponse:
    """A signed-in user's own page from the cache when nothing behind it changed."""
    if not _private_request(request):
        return build()
    return serve(request, build, timeout=timeout, tags=tags, private=True)


def private_page_cache(timeout: int, *, tags: TagsFor) -> Callable:
    """Decorate a signed-in user's GET view (inside `login_required`); see serve_private_page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            return serve_private_page(
                request,
                lambda: view(request, *args, **kwargs),
                timeout=timeout,
                tags=tags(request),
            )

        return wrapped

    return decorator
