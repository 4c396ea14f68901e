"""Per-AWS-API rate limits shared by every worker: one token bucket per caller account, region, service and operation
(what AWS throttles on), kept in Redis and updated by one Lua script, so a hundred workers polling one account ask
AWS no faster than one would. Every call a client of ``clients.client_for`` sends (retries included) takes a token.

Waiting for a token is bounded: a call that gets none within ``AWS_RATE_LIMIT_WAIT_SECONDS`` raises AwsThrottled,
which the poll tasks retry with backoff, rather than holding a worker. Without Redis (the SQLite demo), or while it
is down, each process keeps its own buckets: the limit then holds per process, and a warning says so.
"""

import logging
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.exceptions import RedisError
from redis.retry import Retry

from .errors import AwsThrottled

log = logging.getLogger(__name__)

RETRY_REDIS_AFTER_SECONDS = 5.0  # after a failure, the process's own buckets serve this long before Redis is asked
_KEY_PREFIX = "awsgateway:rate"

# KEYS[1]: the bucket; ARGV: tokens a second, burst, now (seconds). Takes a token if there is one and returns 0, or
# returns the seconds until there will be one. Time comes from the caller: workers' clocks agree (NTP) within far
# less than a token's interval, and tests can freeze it.
_TAKE = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(bucket[1]) or burst, tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int


def rate_for(service: str, operation: str) -> Rate | None:
    """The limit of one operation: ``AWS_RATE_LIMITS`` by ``service.Operation``, then by service, then the default
    ``AWS_RATE_LIMIT``; None when it is "off". Each is "calls a second/burst", e.g. "10/20"."""
    limits = settings.AWS_RATE_LIMITS
    text = limits.get(f"{service}.{operation}") or limits.get(service) or settings.AWS_RATE_LIMIT
    if text.strip().lower() == "off":
        return None
    per_second, _, burst = text.partition("/")
    try:
        rate = Rate(per_second=float(per_second), burst=int(burst) if burst else max(1, round(float(per_second))))
    except (ValueError, OverflowError):  # not numbers, or an infinite rate
        rate = Rate(per_second=-1, burst=0)
    if not (0 < rate.per_second < float("inf")) or rate.burst < 1:
        raise ImproperlyConfigured(
            f"AWS rate limit {text!r} for {service} {operation}: expected calls a second and a burst, such as "
            "10/20 (AWS_RATE_LIMIT, AWS_RATE_LIMITS), or off."
        )
    return rate


class _LocalBuckets:
    """This process's buckets: the same arithmetic as the Lua script, under a lock for the process's threads."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, rate: Rate, now: float) -> float:
        with self._lock:
            tokens, at = self._buckets.get(key, (rate.burst, now))
            tokens = min(rate.burst, tokens + max(0.0, now - at) * rate.per_second)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate.per_second
            self._buckets[key] = (tokens, max(now, at))
            return wait


class _Buckets:
    """Redis's buckets when Redis is configured and answers; this process's otherwise."""

    def __init__(self) -> None:
        self.local = _LocalBuckets()
        self._redis_down_until = 0.0
        self._url: str | None = None
        self._script: Script | None = None

    def _shared(self) -> Script | None:
        url = settings.AWS_RATE_LIMIT_REDIS_URL or None
        if url != self._url:  # settings changed (tests): a client for the new server
            self._url, self._script = url, None
            if url:
                client = redis.Redis.from_url(
                    url, socket_connect_timeout=0.25, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
                )
                self._script = client.register_script(_TAKE)
        return self._script

    def take(self, key: str, rate: Rate, now: float) -> float:
        script = self._shared()
        if script is None or time.monotonic() < self._redis_down_until:
            return self.local.take(key, rate, now)
        try:
            return float(script(keys=[f"{_KEY_PREFIX}:{key}"], args=[rate.per_second, rate.burst, now]))
        except RedisError as exc:
            self._redis_down_until = time.monotonic() + RETRY_REDIS_AFTER_SECONDS
            log.warning(
                "AWS rate limits: Redis unavailable (%s); limiting per process for %ss", exc, RETRY_REDIS_AFTER_SECONDS
            )
            return self.local.take(key, rate, now)


_buckets = _Buckets()


def acquire(*, caller: str, region: str, service: str, operation: str) -> None:
    """Wait for a token to call ``operation``; raises AwsThrottled rather than waiting past the bound."""
    rate = rate_for(service, operation)
    if rate is None:
        return
    key = f"{caller}:{region}:{service}:{operation}"
    deadline = time.monotonic() + settings.AWS_RATE_LIMIT_WAIT_SECONDS
    while (wait := _buckets.take(key, rate, time.time())) > 0:
        if time.monotonic() + wait > deadline:
            raise AwsThrottled(
                f"Supportdesk's own limit for {service} {operation} ({rate.per_second:g} a second) is reached: "
                "other polls of this account are using it; will retry."
            )
        time.sleep(wait)
