import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.ratelimit import rate_limited

from .context_processors import portal_identity

# How long a client is asked to wait before trying again while the database is unavailable.
DATABASE_RETRY_SECONDS = 30


@rate_limited(
    "admin-login", limit=lambda: settings.ADMIN_LOGIN_RATE_LIMIT, window=60, template="429.html"
)
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through allauth, so its rate limits and the second factor apply.

    This page never authenticates (a POST is only redirected); it is limited per client too.
    """
    target = request.GET.get("next") or reverse("admin:index")
    return HttpResponseRedirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': target})}")


@require_safe
@never_cache
def set_language_get(request: HttpRequest, lang: str) -> HttpResponse:
    """Switch the language with a plain link (/i18n/en/?next=/procedures/): sets the language
    cookie and goes back. Unlike Django's POST set_language it needs no CSRF token, so the pages
    that link here carry no per-visitor token and can be cached whole (core/cache.py)."""
    if lang not in dict(settings.LANGUAGES):
        raise Http404("unknown language")
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("procedures:home")
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        lang,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that cannot be reached (down, restarting, connection lost) is a
    503 with a translated page that says to try again; any other error is Django's 500.

    Django calls this while it handles the exception, so `sys.exc_info()` names it. The
    transaction of the failed request was never committed: PostgreSQL rolls it back.
    """
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return database_unavailable(request)
    return defaults.server_error(request)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 page, in the portal's layout, rendered without the request: no context processor
    reads the session, the signed-in user or their notifications, all of which need the
    database. The header then offers "Sign in", as to any visitor."""
    html = render_to_string("503.html", portal_identity())
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(DATABASE_RETRY_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
