"""Each signed-in person's row and access facts (permissions, queue memberships, MFA), cached between requests.

Every request needs them, and reading them costs several queries. The access facts are cached under the
person's `access_stamp`, a fresh value whenever their access may have changed: any save of their row, any change
to their groups, permissions, queues or authenticators (`access_stamp_renew`). So a process that reads the
current row never uses old facts, whatever its cache.

The row itself is cached only in a cache every process shares (Redis), where a change drops it for all of them;
with an in-process cache (locmem, `make run` without CACHE_URL) each process would keep its own copy, so the row
is read from the database on every request (one query) and a deactivation, a new password or a new role holds on
the very next request in every process. (The cached row holds the password hash, which the session check
needs; it sits in the same Redis as the sessions themselves.)
"""

from collections.abc import Callable, Iterable
from typing import TypeVar
from uuid import uuid4

from django.contrib.auth import get_user_model
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

T = TypeVar("T")
_TIMEOUT = 300


def _person_key(user_id) -> str:
    return f"access:person:{user_id}"


def _facts_key(user) -> str:
    return f"access:facts:{user.pk}:{user.access_stamp}"


def _cache_is_shared() -> bool:
    return not isinstance(caches["default"], LocMemCache | DummyCache)


def person_cached(user_id, load: Callable[[], T | None]) -> T | None:
    """The person's row: from a shared cache, or `load()` (see above)."""
    if not _cache_is_shared():
        return load()
    user = cache.get(_person_key(user_id))
    if user is None:
        user = load()
        if user is not None:
            cache.set(_person_key(user_id), user, timeout=_TIMEOUT)
    return user


def access_cached(user, name: str, compute: Callable[[], T]) -> T:
    """`compute()` for this person, or its value cached under their current access stamp."""
    if not hasattr(user, "_access_facts"):
        user._access_facts = cache.get(_facts_key(user)) or {}
    facts = user._access_facts
    if name not in facts:
        facts[name] = compute()
        cache.set(_facts_key(user), facts, timeout=_TIMEOUT)
    return facts[name]


def person_forget(user_ids: Iterable[int]) -> None:
    keys = [_person_key(pk) for pk in user_ids]
    if keys:
        forget_now_and_after_commit(lambda: cache.delete_many(keys))


def access_stamp_renew(user_ids: Iterable[int]) -> None:
    """Their cached access facts are stale from now on (one UPDATE, in the caller's transaction: a request
    before the commit reads the old stamp and caches only under it)."""
    ids = list(user_ids)
    if ids:
        get_user_model().objects.filter(pk__in=ids).update(access_stamp=uuid4())
        person_forget(ids)  # the cached row carries the old stamp


def forget_now_and_after_commit(forget: Callable[[], object]) -> None:
    """Drop cached state now, and again once the change commits: a request in between could have
    cached the rows as they were before the change."""
    forget()
    transaction.on_commit(forget)
