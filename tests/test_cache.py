from django.core.cache import cache


def test_the_redis_cache_reuses_one_client_and_still_stores_values():
    cache.set("cache-test-key", {"answer": 42}, timeout=30)
    first = cache._cache.get_client(write=True)

    assert cache.get("cache-test-key") == {"answer": 42}
    assert cache._cache.get_client(write=True) is first  # Django's own client builds a new one per operation
    cache.delete("cache-test-key")
    assert cache.get("cache-test-key") is None
