"""Public lookup (Tra cứu hồ sơ), statistics and the satisfaction rating."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from core.cache import anonymous_page_cache, do_not_store
from core.ratelimit import rate_limited
from dossiers.cache import code_tag
from dossiers.constants import COMPLETED
from dossiers.models import Dossier
from procedures.cache import CATALOGUE_TAG

from . import services
from .forms import RatingForm, StatisticsPeriodForm
from .models import Rating
from .selectors import (
    dossier_public_events,
    dossier_public_lookup,
    lookup_example_code,
    normalise_code,
)
from .statistics import Period, add_months, month_start, statistics_for_period

# A looked-up page is kept while nothing about its dossier (or the catalogue) changes.
LOOKUP_PAGE_SECONDS = 300


def _not_found(request: HttpRequest, code: str) -> HttpResponse:
    """The one answer for a code that is malformed, unknown or a draft's: it reveals nothing.

    Not stored: guessed codes must not fill the cache."""
    return do_not_store(
        render(
            request,
            "tracking/dossier_lookup.html",
            {
                "searched": True,
                "code": code,
                "dossier": None,
                "example_code": lookup_example_code(request),
            },
        )
    )


def _code_tags(request: HttpRequest) -> list[str]:
    """The lookup page shows the catalogue (procedure names) and, given a code, one dossier."""
    code = normalise_code(request.GET.get("code"))
    return [code_tag(code), CATALOGUE_TAG] if code else [CATALOGUE_TAG]


# Anonymous visitors get the stored page (rate limit first: a stored page is still a lookup);
# the limiter reads the stored page and its tags in its own round trip to Redis.
lookup_page_cache = anonymous_page_cache(
    LOOKUP_PAGE_SECONDS, params=("code", "secret"), tags=_code_tags
)
lookup_rate_limited = rate_limited(
    "lookup",
    limit=lambda: settings.LOOKUP_RATE_LIMIT,
    window=lambda: settings.LOOKUP_RATE_WINDOW,
    template="tracking/rate_limited.html",
    prefetch=lookup_page_cache.keys,
)


@require_safe
@lookup_rate_limited
@lookup_page_cache
@never_cache  # inside the page cache: the stored page keeps its headers
def lookup(request: HttpRequest) -> HttpResponse:
    """The lookup form and, with `?code=`, the dossier's public summary (the QR code target)."""
    if "code" not in request.GET:
        return render(
            request,
            "tracking/dossier_lookup.html",
            {"searched": False, "example_code": lookup_example_code(request)},
        )
    code = normalise_code(request.GET["code"])
    dossier = dossier_public_lookup(code=code)
    if dossier is None:
        return _not_found(request, code)
    secret = request.GET.get("secret", "")[:32]
    context = {
        "searched": True,
        "code": code,
        "dossier": dossier,
        "secret": secret,
        "example_code": lookup_example_code(request),
    }
    response = render(request, "tracking/dossier_lookup.html", context)
    # The form repeats a given secret: only the right one (the QR code's) is worth storing.
    return response if not secret or dossier.secret_matches(secret) else do_not_store(response)


@require_safe
@lookup_rate_limited
@lookup_page_cache
@never_cache  # inside the page cache: the stored page keeps its headers
def history(request: HttpRequest) -> HttpResponse:
    """The processing history (quá trình xử lý): public steps only, behind the lookup secret
    when the receiving agency requires it."""
    code = normalise_code(request.GET.get("code"))
    dossier = dossier_public_lookup(code=code)
    if dossier is None:
        return _not_found(request, code)
    secret = request.GET.get("secret", "")[:32]
    allowed = dossier.history_allowed(secret)
    context = {
        "code": code,
        "dossier": dossier,
        "allowed": allowed,
        "secret_error": bool(secret) and not allowed,
        "events": dossier_public_events(dossier_id=dossier.pk, request=request) if allowed else [],
    }
    response = render(request, "tracking/dossier_history.html", context)
    # Guessed secrets must not fill the cache.
    return do_not_store(response) if context["secret_error"] else response


def _presets(today) -> list[tuple[str, Period]]:
    this_month = month_start(today)
    this_year = this_month.replace(month=1)
    last_year = add_months(this_year, -12)
    return [
        (_("Last 12 months"), Period.last_12_months(today)),
        (_("Last 3 months"), Period(add_months(this_month, -2), this_month)),
        (_("This year"), Period(this_year, this_month)),
        (_("Last year"), Period(last_year, add_months(this_year, -1))),
    ]


@require_safe
# Anonymous visitors share the page for a minute (the figures themselves are cached longer).
@anonymous_page_cache(60, params=("from", "to"))
def statistics(request: HttpRequest) -> HttpResponse:
    """Public statistics for a period of whole months (?from=YYYY-MM&to=YYYY-MM)."""
    today = timezone.localdate()
    bound = "from" in request.GET or "to" in request.GET
    form = StatisticsPeriodForm(request.GET if bound else None, today=today)
    period = form.period() or Period.last_12_months(today)
    stats = statistics_for_period(period=period, today=today)
    context = {"form": form, "stats": stats, "period": period, "presets": _presets(today)}
    response = render(request, "tracking/statistics.html", context)
    # Malformed periods all show the default one: none is stored.
    return do_not_store(response) if bound and not form.is_valid() else response


@login_required
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, dossier_id: int) -> HttpResponse:
    """The satisfaction rating of one's own dossier once it has its result (others: 404)."""
    dossier = get_object_or_404(
        Dossier.objects.for_citizen(request.user).select_related("procedure"), pk=dossier_id
    )
    if Rating.objects.filter(dossier_id=dossier.pk).exists():
        messages.info(
            request, _("You have already rated this dossier. Thank you for your opinion.")
        )
        return redirect(dossier)
    if dossier.status not in COMPLETED:
        messages.error(request, _("You can rate the service once your dossier has its result."))
        return redirect(dossier)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rating_submit(
                dossier_id=dossier.pk,
                user=request.user,
                comment=form.cleaned_data["comment"],
                **form.answers(),
            )
        except services.AlreadyRated as exc:
            messages.info(request, str(exc))
        except services.RatingNotAllowed as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Thank you: your rating was recorded."))
        return redirect(dossier)
    return render(request, "tracking/rating_form.html", {"dossier": dossier, "form": form})
