"""The portal's URLs plus the benchmark's calibration views.

Only the benchmark settings (`benchmarks.settings`) use this module: these views are never part
of the application's own URLs.

- `bench/hello`: the cheapest Django answer through the full middleware stack, the ceiling;
- `bench/layout`: an empty page in the site layout (base.html), the floor of any rendered page;
- `bench/cached`: a 10 KB page answered from the Redis cache, what full-page caching costs.
"""

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path

CACHED_KEY = "bench:cached-page"


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello")


def layout(request: HttpRequest) -> HttpResponse:
    return render(request, "benchmarks/layout.html")


def cached(request: HttpRequest) -> HttpResponse:
    body = cache.get(CACHED_KEY)
    if body is None:
        body = ("<!doctype html><title>cached</title>" + "<p>Cổng Dịch vụ công</p>" * 400)[:10240]
        cache.set(CACHED_KEY, body, 3600)
    return HttpResponse(body)


urlpatterns = [
    path("bench/hello", hello),
    path("bench/layout", layout),
    path("bench/cached", cached),
    path("", include("portal.urls")),
]
