"""The portal's Redis cache backend: reads and the rate limiter's counter over one held
connection per process and thread (core/redis_cache.py), on the real Redis server."""

import threading
import uuid

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

import pytest
import redis

from core import redis_cache
from core.redis_cache import RedisCache

# Lifetimes the tests give keys: long, so that a step of the machine's clock (Redis expires keys
# by wall time) cannot expire one between a write and the read that checks it.
HOUR = 3600


@pytest.fixture
def backends(private_redis_url):
    """The portal's backend and Django's own, sharing one key prefix."""
    params = {"KEY_PREFIX": f"redis-cache-test-{uuid.uuid4().hex}"}
    portal, django = (
        RedisCache(private_redis_url, params),
        DjangoRedisCache(private_redis_url, params),
    )
    yield portal, django
    portal._cache.close_wires()


def _wire_id(backend: RedisCache) -> int:
    """The server's id of the connection this thread reads on."""
    (client_id,) = backend._cache.roundtrip(("CLIENT", "ID"))
    return int(client_id)


def test_reads_give_what_djangos_own_backend_gives(backends):
    portal, django = backends
    values = {
        "text": "Cổng Dịch vụ công",
        "count": 7,
        "page": (("v1", "v2"), 200, [("Content-Type", "text/html")], b"<p>stored</p>"),
        "none": None,
    }
    django.set_many(values)

    for key in [*values, "absent"]:
        assert portal.get(key, "default") == django.get(key, "default")
    assert portal.get_many([*values, "absent"]) == django.get_many([*values, "absent"])
    assert portal.get_many([]) == {}


def test_the_counter_and_the_keys_come_back_in_one_answer(backends, private_redis_url):
    portal, django = backends
    django.set("page", b"stored")

    assert portal.incr_and_get_many("counter", HOUR, ["page", "absent"]) == (
        1,
        {"page": b"stored"},
    )
    assert portal.incr_and_get_many("counter", HOUR) == (2, {})
    # A plain integer with the lifetime given when it was created, which Django's get() reads.
    assert django.get("counter") == 2
    raw = redis.Redis.from_url(private_redis_url)
    assert 0 < raw.ttl(django.make_key("counter")) <= HOUR


def test_a_stored_value_is_what_djangos_own_backend_reads(backends, private_redis_url):
    portal, django = backends
    page = (("v1",), 200, [("Content-Type", "text/html")], b"<p>stored</p>")
    portal.set("page", page, HOUR)
    portal.set("forever", "kept", None)
    portal.set("count", 7, HOUR)

    assert django.get("page") == page
    assert django.get("count") == 7
    raw = redis.Redis.from_url(private_redis_url)
    assert 0 < raw.ttl(django.make_key("page")) <= HOUR
    assert raw.ttl(django.make_key("forever")) == -1
    portal.set("page", "gone", 0)  # Django's meaning of a zero timeout: delete
    assert django.get("page") is None


def test_missing_keys_are_added_and_read_back_in_one_answer(backends, private_redis_url):
    portal, django = backends
    django.set("tag:a", "token-a")

    found = portal.add_and_get_many({"tag:b": "token-b"}, ["tag:a", "tag:b"], HOUR)
    assert found == {"tag:a": "token-a", "tag:b": "token-b"}
    # An existing key keeps its value (another process created it first).
    assert portal.add_and_get_many({"tag:a": "other"}, ["tag:a"], HOUR) == {"tag:a": "token-a"}
    raw = redis.Redis.from_url(private_redis_url)
    assert 0 < raw.ttl(django.make_key("tag:b")) <= HOUR


def test_an_error_reply_leaves_no_reply_unread_for_the_next_read(backends, private_redis_url):
    portal, django = backends
    django.set_many({"first": "first value", "second": "second value"})
    redis.Redis.from_url(private_redis_url).set(django.make_key("not-a-number"), b"abc")

    # INCR fails; the MGET reply sent with it is still on the wire.
    with pytest.raises(redis.ResponseError):
        portal.incr_and_get_many("not-a-number", 60, ["first"])
    assert portal.get("second", None) == "second value"


def test_an_interrupted_read_leaves_no_reply_unread_for_the_next_read(backends, monkeypatch):
    portal, django = backends
    django.set_many({"first": "first value", "second": "second value"})
    connection = portal._cache._wire(write=False)
    real_read = connection.read_response

    def interrupted(*args, **kwargs):
        monkeypatch.setattr(connection, "read_response", real_read)
        raise KeyboardInterrupt  # e.g. a worker timeout's signal, after the command was sent

    monkeypatch.setattr(connection, "read_response", interrupted)
    with pytest.raises(KeyboardInterrupt):
        portal.get("first", None)
    assert portal.get("second", None) == "second value"


def test_a_connection_the_server_dropped_is_reopened(backends, private_redis_url):
    portal, django = backends
    django.set("key", "value")
    before = _wire_id(portal)

    # As when Redis restarts or closes an idle client.
    assert redis.Redis.from_url(private_redis_url).client_kill_filter(_id=before) == 1

    assert portal.get("key", None) == "value"
    assert _wire_id(portal) != before


def test_each_thread_reads_on_its_own_connection(backends):
    portal, _django = backends
    mine = _wire_id(portal)
    seen = []
    thread = threading.Thread(target=lambda: seen.append(_wire_id(portal)))
    thread.start()
    thread.join()

    assert seen and seen[0] != mine
    assert _wire_id(portal) == mine  # held, not opened per call


def test_a_forked_process_never_writes_on_its_parents_connection(backends, monkeypatch):
    portal, _django = backends
    parent = _wire_id(portal)
    real_pid = redis_cache.os.getpid()
    # A gunicorn worker is forked after the master may have used the cache.
    monkeypatch.setattr(redis_cache.os, "getpid", lambda: real_pid + 1)

    assert _wire_id(portal) != parent
