"""Django's Redis cache, keeping one redis client per connection pool.

Django builds a new ``redis.Redis`` for every cache operation, and redis-py's constructor sets up a few hundred
response callbacks each time: measured, that was a large share of the CPU of a request or an ingestion batch that
reads several cached values. Clients are thread-safe and their pools reconnect after a fork, so one is enough.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property


class _ReusedClients(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusedClientRedisCache(RedisCache):
    @cached_property
    def _cache(self):
        return _ReusedClients(self._servers, **self._options)
