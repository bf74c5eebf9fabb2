"""Django's Redis cache backend, keeping one client object per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` around the shared connection
pool on every cache call, which costs about as much as the round trip to Redis itself on a
page served from the cache. A `redis.Redis` is safe to share between threads (connections come
from the pool per command), so one per pool is kept. Everything else is Django's backend.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
