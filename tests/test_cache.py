import logging
import socket
import time

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisUnavailable

from supportdesk.cache import RETRY_AFTER_SECONDS, FailSoftRedisCache

from .factories import UserFactory


def test_the_redis_cache_reuses_one_client_and_still_stores_values():
    cache.set("cache-test-key", {"answer": 42}, timeout=30)
    first = cache._cache.get_client(write=True)

    assert cache.get("cache-test-key") == {"answer": 42}
    assert cache._cache.get_client(write=True) is first  # Django's own client builds a new one per operation
    cache.delete("cache-test-key")
    assert cache.get("cache-test-key") is None


@pytest.fixture
def stopped_redis() -> FailSoftRedisCache:
    # nothing listens on port 1: every connection is refused, as while Redis is stopped
    return FailSoftRedisCache("redis://127.0.0.1:1/0", {"KEY_PREFIX": "outage"})


def test_a_stopped_redis_reads_as_a_miss_and_writes_as_nothing(stopped_redis, caplog):
    with caplog.at_level(logging.WARNING, logger="supportdesk.cache"):
        assert stopped_redis.get("k", "default") == "default"
    assert "Cache unavailable, answering as a miss" in caplog.text
    assert stopped_redis.get_many(["a", "b"]) == {}
    assert stopped_redis.add("lock", 1) is False  # a lock is never believed taken while Redis is down
    assert stopped_redis.set("k", 1) is None
    assert stopped_redis.delete("k") is False
    assert stopped_redis.has_key("k") is False
    assert stopped_redis.set_many({"a": 1}) == []
    stopped_redis.delete_many(["a"])
    with pytest.raises(ValueError):  # as for a missing key: callers that bump a counter set it afresh
        stopped_redis.incr("counter")


def test_after_a_failure_redis_is_left_alone_for_a_moment_then_asked_again(stopped_redis, monkeypatch):
    asked = []
    client = stopped_redis._cache

    def refused(*args, **kwargs):
        asked.append(1)
        raise RedisUnavailable("Connection refused")

    monkeypatch.setattr(client, "get_client", refused)
    assert [stopped_redis.get(f"k{n}") for n in range(20)] == [None] * 20
    assert len(asked) == 1  # one refused connection, then misses without asking

    later = time.monotonic() + RETRY_AFTER_SECONDS + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    stopped_redis.get("k")
    assert len(asked) == 2


def test_a_cache_that_does_not_answer_costs_a_request_a_fraction_of_a_second():
    # a socket that listens but never answers: the kernel takes the connection, the command waits for its timeout
    with socket.socket() as silent_server:
        silent_server.bind(("127.0.0.1", 0))
        silent_server.listen(8)
        silent = FailSoftRedisCache(f"redis://127.0.0.1:{silent_server.getsockname()[1]}/0", {})
        started = time.monotonic()
        for n in range(10):
            silent.get(f"k{n}")
        took = time.monotonic() - started
    assert took < 1.0  # redis-py's own retries and default timeouts took seconds per value


def test_a_delete_redis_missed_is_made_once_it_answers_again(monkeypatch):
    # given: a cached row, and Redis refusing while it is deleted (a person deactivated during an outage)
    cache.set("cache-test-revoked", "the old row", timeout=300)

    def refused(*args, **kwargs):
        raise RedisUnavailable("Connection refused")

    monkeypatch.setattr(RedisCacheClient, "delete", refused)
    cache.delete("cache-test-revoked")
    monkeypatch.undo()
    assert cache._cache.get_client().exists(cache.make_key("cache-test-revoked"))  # still in Redis
    # when: Redis answers again, once the pause after a failure is over
    cache._cache._down_until = 0
    # then: the next operation first makes the delete it owes
    assert cache.get("cache-test-revoked") is None
    assert not cache._cache.get_client().exists(cache.make_key("cache-test-revoked"))


@pytest.mark.django_db
def test_sessions_survive_a_cache_outage(client, settings):
    client.force_login(UserFactory())
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"

    def refused(*args, **kwargs):
        raise RedisUnavailable("Connection refused")

    with pytest.MonkeyPatch.context() as redis_down:  # undone before the teardown cleans the cache
        redis_down.setattr(cache._cache, "get_client", refused)
        response = client.get("/api/tickets/")
        cache._cache._down_until = 0.0

    assert response.status_code == 200  # still signed in: the session came from the database


@pytest.mark.django_db
def test_an_outage_answers_json_503_under_the_api_and_the_html_page_elsewhere(client, monkeypatch):
    client.raise_request_exception = False
    client.force_login(UserFactory())

    def database_down(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr("tickets.selectors.ticket_list", database_down)
    response = client.get("/api/tickets/")
    assert (response.status_code, response["Content-Type"], response["Retry-After"]) == (503, "application/json", "30")
    assert response.json()["detail"].startswith("The service is briefly unavailable")

    monkeypatch.setattr("tickets.selectors.ticket_list", lambda **kwargs: 1 / 0)
    response = client.get("/api/tickets/")
    assert (response.status_code, response["Content-Type"]) == (500, "application/json")

    monkeypatch.setattr("tickets.selectors.ticket_page", database_down)
    page = client.get("/tickets/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
