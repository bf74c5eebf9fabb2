"""Rate limiting per client address on the shared cache (DESIGN §9).

A fixed window: the counter for a client lives under a key that names the window number
(`int(now // window)`), is created with `cache.add` (atomic "set if absent") and then raised with
`cache.incr` (atomic on Redis and, within one process, on the local-memory cache). With Redis as
the cache every web process shares the same counters, each raised in one round trip together with
the cache keys the view will read. When Redis does not answer, the portal's cache backend counts
these keys in each process instead (core/redis_cache.py): an outage is no free pass, though
each web process then allows the limit on its own. Reusable by other apps::

    @rate_limited("admin-login", limit=lambda: settings.ADMIN_LOGIN_RATE_LIMIT, window=60)
    def view(request): ...
"""

import functools
import hashlib
import ipaddress
import math
import time
from collections.abc import Callable, Sequence

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.connection import ConnectionProxy

from .addresses import client_ip
from .cache import hold_prefetched

IntSetting = int | Callable[[], int]


def _now() -> float:
    """The clock; tests replace it to step past a window without sleeping."""
    return time.time()


def _value(setting: IntSetting) -> int:
    return int(setting() if callable(setting) else setting)


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address the limit is counted against: the client address as the whole portal
    resolves it (`core.addresses.client_ip`, which honours `TRUSTED_PROXY_COUNT`), with IPv6
    clients counted per /64 network, since one subscriber usually holds a whole /64."""
    remote = client_ip(request) or ""
    address = _parse_ip(remote)
    if address is None:
        return remote or "unknown"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _counting_backend():
    """The cache backend behind `cache` when it can count and read in one round trip (the
    portal's Redis backend, `core.redis_cache.RedisCache`), else None."""
    backend = caches[DEFAULT_CACHE_ALIAS] if isinstance(cache, ConnectionProxy) else cache
    return backend if hasattr(backend, "incr_and_get_many") else None


def hit(*, scope: str, key: str, limit: int, window: int) -> int:
    """Count one request of `key` in `scope`; return 0 if allowed, else seconds until allowed.

    Side effect: raises the counter in the shared cache. The key expires shortly after its window.
    """
    return hit_and_get(scope=scope, key=key, limit=limit, window=window)[0]


def hit_and_get(
    *, scope: str, key: str, limit: int, window: int, also_get: Sequence[str] = ()
) -> tuple[int, dict]:
    """`hit`, and the cache values of the keys `also_get` (read in the same round trip on
    Redis), as `cache.get_many` returns them."""
    now = _now()
    window_no = int(now // window)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{window}:{window_no}:{digest}"
    # A little longer than the window, so the key cannot expire between add() and incr().
    timeout = window + 5
    counting = _counting_backend()
    values: dict = {}
    if counting is not None:
        # INCR (and MGET of `also_get`) in one round trip; the first request of a window gives
        # the counter its lifetime. (Django's add() + incr() would take three round trips.) A
        # counter left without its expiry by a crash in between is never counted against
        # again: its key names its window.
        count, values = counting.incr_and_get_many(cache_key, timeout, also_get)
    elif cache.add(cache_key, 1, timeout=timeout):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:
            # Evicted meanwhile: start the window again rather than fail the request.
            cache.add(cache_key, 1, timeout=timeout)
            count = 1
    if also_get and counting is None:
        values = cache.get_many(also_get)
    if count <= limit:
        return 0, values
    return max(1, math.ceil((window_no + 1) * window - now)), values


def rate_limited(
    scope: str,
    limit: IntSetting,
    window: IntSetting,
    *,
    key: Callable[[HttpRequest], str] = client_address,
    template: str = "429.html",
    prefetch: Callable[[HttpRequest], list[str]] | None = None,
):
    """Decorate a view: at most `limit` requests per `window` seconds per client in `scope`.

    Views sharing a scope share the counter. `limit` and `window` may be callables, read on
    every request (so settings can change without a restart of the decorator). Over the limit,
    the view is not called: the answer is HTTP 429 with the translated page `template` (given
    `retry_after` and `retry_minutes`) and `Retry-After`.
    `prefetch` names cache keys the view will read (a page cache's `keys`): they are fetched in
    the limiter's own round trip and handed on with `core.cache.hold_prefetched`.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            window_seconds = max(1, _value(window))
            keys = prefetch(request) if prefetch else []
            retry_after, values = hit_and_get(
                scope=scope,
                key=key(request),
                limit=_value(limit),
                window=window_seconds,
                also_get=keys,
            )
            if keys:
                hold_prefetched(request, keys, values)
            if retry_after:
                response = render(
                    request,
                    template,
                    {"retry_after": retry_after, "retry_minutes": math.ceil(retry_after / 60)},
                    status=429,
                )
                response["Retry-After"] = str(retry_after)
                response["Cache-Control"] = "no-store"
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
