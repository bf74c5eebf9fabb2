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

Everything else (writes, deletes, incr, clear) is Django's backend on redis-py's pool.
"""

import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

from redis.connection import AbstractConnection, ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


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


class RedisCache(DjangoRedisCache):
    _cache: SharedClientRedisCacheClient

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    def validate_key(self, key: str) -> None:
        """Any string is a valid Redis key: no memcached warnings."""

    def incr_and_get_many(
        self, counter: str, timeout: int, keys: Iterable[str] = ()
    ) -> tuple[int, dict]:
        """Raise the integer at `counter` by one (created with a lifetime of `timeout` seconds)
        and read `keys` as `get_many` would, in one round trip: (new count, values found)."""
        keys = list(keys)
        key_map = {self.make_key(key): key for key in keys}
        count, values = self._cache.incr_and_get_many(
            self.make_key(counter), timeout, list(key_map)
        )
        return count, {key_map[k]: v for k, v in values.items()}
