"""Django's Redis cache backend, without the costs that matter on pages served from the cache.

A page served from the cache does little but read Redis: the session, the signed-in user, the
page and its tags, and the lookup's rate-limit counter. Measured on the benchmark machine, the
client library's own work around each round trip cost more CPU than the round trip:

- Django's `RedisCacheClient.get_client` builds a new `redis.Redis` around the shared connection
  pool on every cache call (about 50 µs). A `redis.Redis` is safe to share between threads, so
  one per pool is kept.
- redis-py takes a connection from its pool for every command, polling the socket first to see
  that no stray reply is waiting (a system call), and records pool metrics; a pipeline adds a
  command stack, response callbacks and per-command bookkeeping. So the reads (`get`,
  `get_many`) and the rate limiter's counter (`incr_and_get_many`) go over a *wire*: one
  connection per process and thread, held by this client, on which the commands are written in
  one send and their replies read back. Any error disconnects it, so no reply is ever left
  unread on it (which the pool's poll guards against); a broken connection (Redis restarted) is
  reopened and the commands sent once more, as redis-py's own retry does.
- Every key is checked character by character for memcached's limits (250 characters, no
  spaces or control characters), which Redis does not have.

Storing a value (`set`, which the page cache does for every page it builds) and creating a
page's missing tags while reading them back (`add_and_get_many`, one round trip instead of an
`add` per tag and a `get_many`) go over the wire too. Everything else (deletes, incr, clear,
`set_many`) is Django's backend on redis-py's pool.

**Redis down.** The cache is an accelerator, never a dependency: every call fails open. A read
finds nothing, a write is dropped, and the page, the session (cached_db) and the signed-in user
come from the database. Keys named in the backend's `LOCAL_WHEN_DOWN` prefixes (the rate
limiters': the portal's and allauth's) and every counter are kept meanwhile in a per-process
local-memory cache, so an outage is no free pass. After a failure the process leaves Redis alone
for `RETRY_SECONDS`, and it logs one warning a minute, not one per request. A write or delete
that did not reach Redis leaves an older value there (a signed-out session, a user before a
password change, a page tag before its bump): the process remembers those keys and deletes them
before its first command once Redis answers again.
"""

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

from redis.connection import AbstractConnection, ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Redis not answering (refused, reset, timed out, still loading) or refusing writes (a replica,
# out of memory): the cache is skipped, never the request. Other errors are bugs and raise.
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OutOfMemoryError)
# After a failure, how long a process serves without trying Redis again.
RETRY_SECONDS = 2.0
# At most one warning per process in this many seconds while Redis stays down.
WARNING_SECONDS = 60.0
# Keys whose write missed Redis, remembered for deletion once it is back (about 10 MB at most).
MAX_OWED_KEYS = 100_000


class _Wires(threading.local):
    """This thread's connections, by pool index, with the process that opened each: a child
    process (a forked web worker) never writes on its parent's socket."""

    def __init__(self) -> None:
        self.held: dict[int, tuple[int, AbstractConnection]] = {}


class SharedClientRedisCacheClient(RedisCacheClient):
    # Django's own attributes and helpers, which django-stubs does not declare.
    _serializer: Any
    _client: Callable[..., Any]
    _get_connection_pool_index: Callable[[bool], int]
    _get_connection_pool: Callable[[bool], ConnectionPool]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._wires = _Wires()

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client

    # --- The wire ----------------------------------------------------------------------------

    def _wire(self, write: bool) -> AbstractConnection:
        index = self._get_connection_pool_index(write)
        pid = os.getpid()
        held = self._wires.held.get(index)
        if held is None or held[0] != pid:
            # Opened on first use (send_packed_command connects), with the pool's settings.
            pool = self._get_connection_pool(write)
            held = (pid, pool.connection_class(**pool.connection_kwargs))
            self._wires.held[index] = held
        return held[1]

    def roundtrip(self, *commands: tuple, write: bool = False) -> list:
        """Send `commands` in one write and return their raw replies, in order; once more on a
        fresh connection if the server dropped this one."""
        try:
            return self._exchange(self._wire(write), commands)
        except (RedisConnectionError, RedisTimeoutError):
            return self._exchange(self._wire(write), commands)

    @staticmethod
    def _exchange(connection: AbstractConnection, commands: tuple) -> list:
        try:
            connection.send_packed_command(connection.pack_commands(commands), check_health=False)
            return [connection.read_response() for _ in commands]
        except BaseException:
            # An error reply, a broken socket or an interruption: replies may be left unread,
            # so the next command starts on a new connection.
            connection.disconnect()
            raise

    def close_wires(self) -> None:
        """Close this thread's connections (tests; a process exiting closes them anyway)."""
        for _pid, connection in self._wires.held.values():
            connection.disconnect()
        self._wires.held.clear()

    # --- Reads over the wire -----------------------------------------------------------------

    def _decoded(self, keys: Iterable, values: list) -> dict:
        loads = self._serializer.loads
        return {k: loads(v) for k, v in zip(keys, values, strict=True) if v is not None}

    def get(self, key, default):
        (value,) = self.roundtrip(("GET", key))
        return default if value is None else self._serializer.loads(value)

    def get_many(self, keys):
        keys = list(keys)
        if not keys:
            return {}
        (values,) = self.roundtrip(("MGET", *keys))
        return self._decoded(keys, values)

    def incr_and_get_many(self, counter: str, timeout: int, keys: list) -> tuple[int, dict]:
        """INCR `counter` (giving it `timeout` seconds to live when this created it) and read
        `keys`, in one round trip."""
        commands = [("INCR", counter)]
        if keys:
            commands.append(("MGET", *keys))
        count, *fetched = self.roundtrip(*commands, write=True)
        if count == 1:
            self.roundtrip(("EXPIRE", counter, timeout), write=True)
        return int(count), self._decoded(keys, fetched[0]) if keys else {}

    # --- Writes over the wire ----------------------------------------------------------------

    def set(self, key, value, timeout):
        """SET over the wire: every page built for the page cache is stored with one."""
        if timeout == 0:
            super().set(key, value, timeout)
            return
        command = ("SET", key, self._serializer.dumps(value))
        self.roundtrip(command if timeout is None else (*command, "EX", timeout), write=True)

    def add_and_get_many(self, values: dict, timeout: float | None, keys: list) -> dict:
        """SET NX each of `values` (living `timeout` seconds) and read `keys`, in one round
        trip: the page cache creates the tags a page lacks and reads back the winners."""
        expiry = () if timeout is None else ("EX", timeout)
        commands: list[tuple] = [
            ("SET", key, self._serializer.dumps(value), *expiry, "NX")
            for key, value in values.items()
        ]
        commands.append(("MGET", *keys))
        *_added, fetched = self.roundtrip(*commands, write=True)
        return self._decoded(keys, fetched)


def _now() -> float:
    """The clock of the outage bookkeeping; tests replace it to step through minutes."""
    return time.monotonic()


class Outage:
    """What one process knows of a Redis outage, shared by its threads (Django makes one
    backend object per thread): when to try again, the keys owed a delete, the local stand-in."""

    def __init__(self, name: str) -> None:
        self.lock = threading.Lock()
        self.retry_at = 0.0
        self.warned_at: float | None = None
        self.owed: dict[str, None] = {}  # an ordered set
        self.untracked = 0
        self.local = LocMemCache(f"redis-outage:{name}", {"OPTIONS": {"MAX_ENTRIES": 50_000}})

    def may_try(self) -> bool:
        return _now() >= self.retry_at

    def failed(self, error: Exception) -> None:
        now = _now()
        with self.lock:
            self.retry_at = now + RETRY_SECONDS
            warn = self.warned_at is None or now - self.warned_at >= WARNING_SECONDS
            if warn:
                self.warned_at = now
        if warn:
            logger.warning(
                "cache unavailable, serving without it (pages built, sessions and users read "
                "from the database, rate limits counted per process): %s",
                error,
            )

    def owe(self, keys: Iterable[str]) -> None:
        with self.lock:
            for key in keys:
                if len(self.owed) < MAX_OWED_KEYS:
                    self.owed[key] = None
                else:
                    self.untracked += 1

    def settle(self, client: SharedClientRedisCacheClient) -> None:
        """Delete the keys whose writes missed Redis, before anything reads them; raises as
        the client does when Redis is still away (the keys stay owed)."""
        if not self.owed:
            return
        with self.lock:
            keys = list(self.owed)
        for chunk in itertools.batched(keys, 1000):
            client.delete_many(chunk)
        with self.lock:
            for key in keys:
                self.owed.pop(key, None)
            untracked, self.untracked = self.untracked, 0
            self.warned_at = None
        logger.warning("cache reachable again: %d keys written meanwhile dropped", len(keys))
        if untracked:
            logger.error(
                "%d more cache writes missed during the outage were not tracked: their keys "
                "may hold old values until they expire",
                untracked,
            )


_outages: dict[str, Outage] = {}
_outages_lock = threading.Lock()


def outage_for(name: str) -> Outage:
    with _outages_lock:
        if name not in _outages:
            _outages[name] = Outage(name)
        return _outages[name]


class RedisCache(DjangoRedisCache):
    """The portal's Redis cache: shared client, one-round-trip reads, and fail-open calls.

    `LOCAL_WHEN_DOWN` (beside `LOCATION`): prefixes of the keys kept in the per-process
    stand-in while Redis is down (rate limiters' keys; counters always are)."""

    _cache: SharedClientRedisCacheClient

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
        self._local_prefixes = tuple(params.get("LOCAL_WHEN_DOWN", ()))
        self._outage = outage_for(f"{server}|{self.key_prefix}")

    def validate_key(self, key: str) -> None:
        """Any string is a valid Redis key: no memcached warnings."""

    def ping(self) -> None:
        """Ask Redis itself, past the fail-open guard (the health check); raises when down."""
        self._cache.get_client(write=True).ping()

    # --- Failing open ------------------------------------------------------------------------

    def _guard(
        self,
        call: Callable[[], Any],
        *,
        default: Any = None,
        written: Iterable[str] = (),
        local: Callable[[LocMemCache], Any] | None = None,
    ) -> Any:
        """`call()` on Redis; if Redis is unavailable, `local(stand-in)` or `default`, and the
        (made) keys `written` are owed a delete for when Redis is back."""
        outage = self._outage
        if outage.may_try():
            try:
                outage.settle(self._cache)
                return call()
            except UNAVAILABLE as error:
                outage.failed(error)
        outage.owe(written)
        return local(outage.local) if local is not None else default

    def _kept_locally(self, key: str) -> bool:
        return key.startswith(self._local_prefixes) if self._local_prefixes else False

    def _only_kept(self, keys: Iterable[str]) -> list[str]:
        return [key for key in keys if self._kept_locally(key)]

    def _local(self, key: str, call: Callable[[LocMemCache], Any]):
        return call if self._kept_locally(key) else None

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        made = self.make_key(key, version=version)
        return self._guard(
            lambda: DjangoRedisCache.add(self, key, value, timeout, version),
            default=False,
            written=[made],
            local=self._local(key, lambda local: local.add(key, value, timeout, version)),
        )

    def get(self, key, default=None, version=None):
        return self._guard(
            lambda: DjangoRedisCache.get(self, key, default, version),
            default=default,
            local=self._local(key, lambda local: local.get(key, default, version)),
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        made = self.make_key(key, version=version)
        self._guard(
            lambda: DjangoRedisCache.set(self, key, value, timeout, version),
            written=[made],
            local=self._local(key, lambda local: local.set(key, value, timeout, version)),
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(
            lambda: DjangoRedisCache.touch(self, key, timeout, version), default=False
        )

    def delete(self, key, version=None):
        made = self.make_key(key, version=version)
        return self._guard(
            lambda: DjangoRedisCache.delete(self, key, version),
            default=False,
            written=[made],
            local=self._local(key, lambda local: local.delete(key, version)),
        )

    def get_many(self, keys, version=None):
        keys = list(keys)
        return self._guard(
            lambda: DjangoRedisCache.get_many(self, keys, version),
            local=lambda local: local.get_many(self._only_kept(keys), version),
        )

    def has_key(self, key, version=None):
        return self._guard(
            lambda: DjangoRedisCache.has_key(self, key, version),
            default=False,
            local=self._local(key, lambda local: local.has_key(key, version)),
        )

    def incr(self, key, delta=1, version=None):
        """Counters are counted in the process while Redis is down (ValueError if absent)."""
        return self._guard(
            lambda: DjangoRedisCache.incr(self, key, delta, version),
            local=lambda local: local.incr(key, delta, version),
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        """The keys not stored in Redis are returned, as Django's backends report failures."""
        if not data:
            return []
        made = [self.make_key(key, version=version) for key in data]

        def locally(local: LocMemCache) -> list:
            kept = self._only_kept(data)
            local.set_many({key: data[key] for key in kept}, timeout, version)
            return [key for key in data if key not in kept]

        return self._guard(
            lambda: DjangoRedisCache.set_many(self, data, timeout, version),
            written=made,
            local=locally,
        )

    def delete_many(self, keys, version=None):
        keys = list(keys)
        if not keys:
            return
        made = [self.make_key(key, version=version) for key in keys]
        self._guard(
            lambda: DjangoRedisCache.delete_many(self, keys, version),
            written=made,
            local=lambda local: local.delete_many(self._only_kept(keys), version),
        )

    def clear(self):
        return self._guard(self._cache.clear, default=False)

    def add_and_get_many(self, values: dict, keys: Iterable[str], timeout=DEFAULT_TIMEOUT) -> dict:
        """`add` each of `values`, then `get_many(keys)`, in one round trip. While Redis is
        down nothing is added or found, and the keys are owed a delete, as with `add`."""
        made = {self.make_key(key): value for key, value in values.items()}
        key_map = {self.make_key(key): key for key in keys}

        def on_redis() -> dict:
            found = self._cache.add_and_get_many(
                made, self.get_backend_timeout(timeout), list(key_map)
            )
            return {key_map[k]: v for k, v in found.items()}

        return self._guard(on_redis, default={}, written=list(made))

    def incr_and_get_many(
        self, counter: str, timeout: int, keys: Iterable[str] = ()
    ) -> tuple[int, dict]:
        """Raise the integer at `counter` by one (created with a lifetime of `timeout` seconds)
        and read `keys` as `get_many` would, in one round trip: (new count, values found).
        While Redis is down, the count is this process's and the keys are not found."""
        keys = list(keys)
        key_map = {self.make_key(key): key for key in keys}

        def on_redis() -> tuple[int, dict]:
            count, values = self._cache.incr_and_get_many(
                self.make_key(counter), timeout, list(key_map)
            )
            return count, {key_map[k]: v for k, v in values.items()}

        def locally(local: LocMemCache) -> tuple[int, dict]:
            if local.add(counter, 1, timeout):
                return 1, {}
            try:
                return local.incr(counter), {}
            except ValueError:  # expired between the two calls
                local.add(counter, 1, timeout)
                return 1, {}

        return self._guard(on_redis, local=locally)
