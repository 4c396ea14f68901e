"""Django's Redis cache, keeping one redis client per connection pool, and reading as a miss while Redis is down.

Django builds a new ``redis.Redis`` for every cache operation, and redis-py's constructor sets up a few hundred
response callbacks each time: measured, that was a large share of the CPU of a request or an ingestion batch that
reads several cached values. Clients are thread-safe and their pools reconnect after a fork, so one is enough.

Everything cached can be rebuilt from the database, so a Redis outage must not fail a request: each operation
answers as a miss would (get: the default, add: not added, set and delete: nothing), logs a warning, and for a
moment after a failure Redis is not asked at all, so a request pays no timeout per cached value. Sessions live in
the database behind this cache (cached_db) and survive the outage. A delete that did not reach Redis is owed: the
process makes it before its next operation once Redis answers (a revoked person's cached row must not come back
with Redis).
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2.0  # after a failure, Redis is left alone this long: every operation is a miss meanwhile
_FAIL_FAST = {
    "socket_connect_timeout": 0.25,  # Redis answers in a millisecond; an unreachable host must not hold a request
    "socket_timeout": 0.5,
    "retry": Retry(NoBackoff(), 0),  # redis-py retries with backoff by default: seconds per cached value
}


class _ReusedClients(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # Django's private RedisCacheClient API
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class _FailSoftClients(_ReusedClients):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **_FAIL_FAST | kwargs)
        self._down_until = 0.0
        self._deletes_owed: set[str] = set()

    def _or(self, default, operation, *args):
        if time.monotonic() < self._down_until:
            return default
        try:
            if self._deletes_owed:
                super().delete_many(list(self._deletes_owed))
                self._deletes_owed.clear()
            return operation(*args)
        except RedisError as exc:
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            log.warning("Cache unavailable, answering as a miss for %ss: %s", RETRY_AFTER_SECONDS, exc)
            return default

    def add(self, key, value, timeout):
        return self._or(False, super().add, key, value, timeout)  # not added: a lock taken here is not held

    def get(self, key, default):
        return self._or(default, super().get, key, default)

    def set(self, key, value, timeout):
        self._or(None, super().set, key, value, timeout)

    def touch(self, key, timeout):
        return self._or(False, super().touch, key, timeout)

    def delete(self, key):
        deleted = self._or(None, super().delete, key)
        if deleted is None:
            self._deletes_owed.add(key)
        return bool(deleted)

    def get_many(self, keys):
        return self._or({}, super().get_many, keys)

    def has_key(self, key):
        return self._or(False, super().has_key, key)

    def incr(self, key, delta):
        missing = object()
        value = self._or(missing, super().incr, key, delta)
        if value is missing:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).")  # what a miss raises
        return value

    def set_many(self, data, timeout):
        self._or(None, super().set_many, data, timeout)

    def delete_many(self, keys):
        if self._or(False, lambda: super(_FailSoftClients, self).delete_many(keys) or True) is False:
            self._deletes_owed.update(keys)


class FailSoftRedisCache(RedisCache):
    """The portal's cache: one client per pool, and a miss rather than an error while Redis is down."""

    @cached_property
    def _cache(self):
        return _FailSoftClients(self._servers, **self._options)  # type: ignore[attr-defined]  # private, as above
