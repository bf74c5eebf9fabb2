import uuid

from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

import pytest

from core import ratelimit
from core.ratelimit import client_address, rate_limited

LOOKUP = reverse("tracking:lookup")
HISTORY = reverse("tracking:history")


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """A process-local cache: another xdist worker clearing the shared Redis cannot reset
    these counters mid-test. (Redis itself is exercised in the last test.)"""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tracking-ratelimit-tests",
        }
    }
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    """A controllable clock for the limiter: starts at the beginning of a window."""

    class Clock:
        now = 1_800_000_000.0

    monkeypatch.setattr(ratelimit, "_now", lambda: Clock.now)
    return Clock


@pytest.mark.django_db
def test_lookup_is_rate_limited_then_allowed_after_the_window(client, settings, clock):
    settings.LOOKUP_RATE_LIMIT = 3
    settings.LOOKUP_RATE_WINDOW = 60
    clock.now += 10  # 50 s left in this window
    for url in (LOOKUP, HISTORY, LOOKUP):  # lookup and history share the counter
        assert client.get(url, {"code": "ABC-261125-0001"}).status_code == 200

    response = client.get(HISTORY, {"code": "ABC-261125-0001"})
    assert response.status_code == 429
    assert response["Retry-After"] == "50"
    html = response.content.decode()
    assert "Too many requests" in html
    assert "Please try again in 50 seconds." in html
    assert "No dossier matches" not in html  # the view did not run

    clock.now += 50  # the next window
    assert client.get(LOOKUP, {"code": "ABC-261125-0001"}).status_code == 200


@pytest.mark.django_db
def test_limit_is_per_client_address(client, settings, clock):
    settings.LOOKUP_RATE_LIMIT = 1
    assert client.get(LOOKUP, REMOTE_ADDR="203.0.113.5").status_code == 200
    assert client.get(LOOKUP, REMOTE_ADDR="203.0.113.5").status_code == 429
    assert client.get(LOOKUP, REMOTE_ADDR="203.0.113.6").status_code == 200


@pytest.mark.django_db
def test_forged_forwarded_for_does_not_escape_the_limit_without_proxy(client, settings, clock):
    settings.LOOKUP_RATE_LIMIT = 1
    settings.TRUSTED_PROXY_COUNT = 0
    assert client.get(LOOKUP, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert client.get(LOOKUP, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429


@pytest.mark.django_db
def test_limit_with_a_real_tiny_window(client, settings):
    """Without patching the clock: a one-second window lets the client in again."""
    settings.LOOKUP_RATE_LIMIT = 1
    settings.LOOKUP_RATE_WINDOW = 1
    assert client.get(LOOKUP).status_code == 200
    blocked = client.get(LOOKUP)
    if blocked.status_code == 200:  # the second crossed a window boundary: try once more
        blocked = client.get(LOOKUP)
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "1"
    cache.clear()
    assert client.get(LOOKUP).status_code == 200


def _request(remote="10.0.0.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "1.2.3.4", "203.0.113.7"),
        (1, "10.0.0.9", "203.0.113.7", "203.0.113.7"),
        # The client forged the left part; our one proxy appended the real address.
        (1, "10.0.0.9", "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        # Two proxies: the second appended the first proxy's address.
        (2, "10.0.0.2", "1.2.3.4, 203.0.113.7, 10.0.0.1", "203.0.113.7"),
        # Fewer entries than proxies, or garbage: not through our proxies, use the peer.
        (2, "10.0.0.2", "203.0.113.7", "10.0.0.2"),
        (1, "10.0.0.9", "not-an-ip", "10.0.0.9"),
        (1, "10.0.0.9", None, "10.0.0.9"),
        # IPv6 clients are counted per /64.
        (0, "2001:db8:1:2:aaaa::1", None, "2001:db8:1:2::/64"),
        (0, "::ffff:203.0.113.7", None, "203.0.113.7"),
    ],
)
def test_client_address(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_address(_request(remote, forwarded)) == expected


def test_ipv6_neighbours_in_one_64_share_a_counter(settings, clock):
    settings.TRUSTED_PROXY_COUNT = 0

    @rate_limited("test-v6", limit=1, window=60)
    def view(request):
        return HttpResponse("ok")

    assert view(_request("2001:db8:1:2::1")).status_code == 200
    assert view(_request("2001:db8:1:2::ffff")).status_code == 429
    assert view(_request("2001:db8:1:3::1")).status_code == 200


def test_decorator_reads_callable_limits_on_every_request(settings, clock):
    limits = {"n": 1}

    @rate_limited("test-callable", limit=lambda: limits["n"], window=lambda: 60)
    def view(request):
        return HttpResponse("ok")

    assert view(_request()).status_code == 200
    assert view(_request()).status_code == 429
    limits["n"] = 5
    assert view(_request()).status_code == 200


# Tests of the backend run on a Redis server of their worker's own (`private_redis_url`).
def test_limit_holds_across_processes_on_redis(private_redis_url, monkeypatch, clock):
    """Two independent cache clients (as two web processes have) share one counter in Redis."""
    from django.core.cache.backends.redis import RedisCache

    prefix = f"tracking-test-{uuid.uuid4().hex}"  # no clear(): other workers share the db
    process_a = RedisCache(private_redis_url, {"KEY_PREFIX": prefix})
    process_b = RedisCache(private_redis_url, {"KEY_PREFIX": prefix})
    args = {"scope": "x", "key": "203.0.113.1", "limit": 2, "window": 60}
    monkeypatch.setattr(ratelimit, "cache", process_a)
    assert ratelimit.hit(**args) == 0
    monkeypatch.setattr(ratelimit, "cache", process_b)
    assert ratelimit.hit(**args) == 0
    monkeypatch.setattr(ratelimit, "cache", process_a)
    assert ratelimit.hit(**args) > 0


def test_on_redis_one_round_trip_counts_and_sets_the_expiry(private_redis_url, monkeypatch, clock):
    from core.redis_cache import RedisCache

    prefix = f"tracking-test-{uuid.uuid4().hex}"
    backend = RedisCache(private_redis_url, {"KEY_PREFIX": prefix})
    monkeypatch.setattr(ratelimit, "cache", backend)

    def refused(*args, **kwargs):
        raise AssertionError("the Redis path must not use add()/incr()")

    monkeypatch.setattr(backend, "add", refused)
    monkeypatch.setattr(backend, "incr", refused)
    args = {"scope": "pipe", "key": "203.0.113.9", "limit": 2, "window": 60}

    assert ratelimit.hit(**args) == 0
    assert ratelimit.hit(**args) == 0
    assert ratelimit.hit(**args) > 0

    client = backend._cache.get_client(None)
    (key,) = client.keys(f"{prefix}:*")
    assert int(client.get(key)) == 3
    assert 0 < client.ttl(key) <= 65
    # A running window keeps its first expiry, and the count stays a plain integer that Django's
    # own get() reads.
    client.expire(key, 30)
    ratelimit.hit(**args)
    assert client.ttl(key) <= 30
    assert backend.get(key.decode().split(":", 2)[2]) == 4


def test_on_redis_the_count_and_the_page_cache_keys_come_back_together(
    private_redis_url, monkeypatch
):
    from core.redis_cache import RedisCache

    backend = RedisCache(private_redis_url, {"KEY_PREFIX": f"tracking-test-{uuid.uuid4().hex}"})
    monkeypatch.setattr(ratelimit, "cache", backend)
    backend.set_many({"page": ("v1", 200, [], b"<p>stored</p>"), "tag": "v1"})
    args = {"scope": "pipe", "key": "203.0.113.9", "limit": 1, "window": 60}

    assert ratelimit.hit_and_get(**args, also_get=["page", "tag", "gone"]) == (
        0,
        backend.get_many(["page", "tag", "gone"]),
    )
    retry_after, values = ratelimit.hit_and_get(**args, also_get=["tag"])
    assert retry_after > 0 and values == {"tag": "v1"}


@pytest.mark.django_db
@pytest.mark.xdist_group("celery-worker")
def test_a_stored_lookup_costs_one_redis_call_and_no_query(
    client, redis_url, settings, monkeypatch, django_assert_num_queries
):
    from core.redis_cache import RedisCache
    from tests.tracking.factories import DossierFactory

    settings.CACHES = {
        "default": {
            "BACKEND": "core.redis_cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"tracking-test-{uuid.uuid4().hex}",
        }
    }
    dossier = DossierFactory()
    first = client.get(LOOKUP, {"code": dossier.code})

    def second_read(*args, **kwargs):
        raise AssertionError("the page and its tags came with the rate limit's answer")

    monkeypatch.setattr(RedisCache, "get_many", second_read)
    with django_assert_num_queries(0):
        second = client.get(LOOKUP, {"code": dossier.code})
    assert second.status_code == 200
    assert second.content == first.content
