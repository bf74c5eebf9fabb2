"""Whole-page cache for anonymous visitors of the public pages.

A visitor who carries no cookie but the language one sees exactly what every other such visitor
sees in the same language, so their page can be served from the cache without touching the
database. Everything per-visitor keeps the page out of the cache: a session or CSRF cookie, a
signed-in user, a page that used its CSP nonce (a nonce must never be replayed), a CSRF token
rendered into it, any cookie set by the view, any status but 200.

Only the view's response is cached; the middleware still adds its headers (CSP, Vary, …) to
every answer, hit or miss.
"""

import functools
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.utils import translation
from django.utils.http import urlencode

KEY_PREFIX = "pagecache"


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if any(name != settings.LANGUAGE_COOKIE_NAME for name in request.COOKIES):
        return False
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def _cacheable_response(request: HttpRequest, response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    # The page rendered {% csrf_token %}: the middleware would set a cookie for it.
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    # The nonce is generated only when a template used it; a cached page would replay it.
    if get_nonce(request):
        return False
    policy = response.headers.get("Content-Security-Policy", "")
    return "nonce-" not in policy


def page_cache_key(request: HttpRequest, *, catalogue: bool = False) -> str:
    """Path, sorted query, active language and (for catalogue pages) the catalogue version."""
    query = urlencode(sorted((k, v) for k, values in request.GET.lists() for v in values))
    parts = [request.path, query, translation.get_language() or ""]
    if catalogue:
        from procedures.cache import catalogue_version

        parts.append(catalogue_version())
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"{KEY_PREFIX}:{digest}"


def anonymous_page_cache(timeout: int, *, catalogue: bool = False) -> Callable:
    """Decorate a public GET view: serve and store its whole page for anonymous visitors.

    `timeout` is in seconds; with `catalogue=True` any change to the procedure catalogue
    (procedures.cache.catalogue_changed) makes the stored pages unreachable at once.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            key = page_cache_key(request, catalogue=catalogue)
            cached = cache.get(key)
            if cached is not None:
                return cached
            response = view(request, *args, **kwargs)
            if _cacheable_response(request, response):
                if hasattr(response, "render") and not response.is_rendered:
                    response.add_post_render_callback(lambda r: cache.set(key, r, timeout))
                else:
                    cache.set(key, response, timeout)
            return response

        return wrapped

    return decorator
