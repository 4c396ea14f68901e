"""Each signed-in person's row and access facts (permissions, queue memberships), cached between requests.

Every request needs them, and reading them costs four queries. They live in one cache entry per
person, read together with the global access version in a single round trip. Any change to groups,
permissions or queue membership bumps that version, and any save of the person drops their entry,
so no one keeps an access they just lost. (The entry holds the password hash, which the session
check needs; it sits in the same Redis as the sessions themselves.)
"""

import copy
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")
_VERSION_KEY = "access:version"
_TIMEOUT = 300


def _key(user_id) -> str:
    return f"access:user:{user_id}"


def _entry(user_id) -> dict:
    found = cache.get_many([_VERSION_KEY, _key(user_id)])
    version = found.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, 1, timeout=None)
        version = cache.get(_VERSION_KEY, 1)
    entry = found.get(_key(user_id))
    return entry if entry and entry.get("version") == version else {"version": version}


def person_cached(user_id, load: Callable[[], T | None]) -> T | None:
    """The person's row, from the cache or `load()`; their access facts come along in the same read."""
    entry = _entry(user_id)
    if "user" not in entry:
        loaded = load()
        if loaded is None:
            return None
        entry["user"] = loaded
        cache.set(_key(user_id), entry, timeout=_TIMEOUT)
    user = copy.copy(entry["user"])  # the request's copy gathers attributes the cached one must not
    user._access_entry = entry
    return user


def access_cached(user, name: str, compute: Callable[[], T]) -> T:
    if not hasattr(user, "_access_entry"):
        user._access_entry = _entry(user.pk)
    entry = user._access_entry
    if name not in entry:
        entry[name] = compute()
        cache.set(_key(user.pk), entry, timeout=_TIMEOUT)
    return entry[name]


def forget_now_and_after_commit(forget: Callable[[], object]) -> None:
    """Drop cached state now, and again once the change commits: a request in between could have
    cached the rows as they were before the change."""
    forget()
    transaction.on_commit(forget)


def _version_bump() -> None:
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 1, timeout=None)


def access_changed(**kwargs) -> None:
    forget_now_and_after_commit(_version_bump)


def person_changed(sender, instance, **kwargs) -> None:
    key = _key(instance.pk)
    forget_now_and_after_commit(lambda: cache.delete(key))
