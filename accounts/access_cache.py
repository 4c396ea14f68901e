"""Per-person access facts (permissions, queue memberships) cached between requests.

Every page needs them and reading them costs three queries, so each person's facts live in one
cache entry, read with the global access version in a single round trip. Any change to groups,
permissions or queue membership bumps that version, so no one keeps an access they just lost.
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")
_VERSION_KEY = "access:version"
_TIMEOUT = 300


def _bundle_key(user) -> str:
    return f"access:user:{user.pk}"


def _bundle(user) -> dict:
    """This request's copy of the person's entry; stale versions start empty."""
    if not hasattr(user, "_access_bundle"):
        found = cache.get_many([_VERSION_KEY, _bundle_key(user)])
        version = found.get(_VERSION_KEY)
        if version is None:
            cache.add(_VERSION_KEY, 1, timeout=None)
            version = cache.get(_VERSION_KEY, 1)
        bundle = found.get(_bundle_key(user))
        user._access_bundle = bundle if bundle and bundle.get("version") == version else {"version": version}
    return user._access_bundle


def access_cached(user, name: str, compute: Callable[[], T]) -> T:
    bundle = _bundle(user)
    if name not in bundle:
        bundle[name] = compute()
        cache.set(_bundle_key(user), bundle, timeout=_TIMEOUT)
    return bundle[name]


def access_changed(**kwargs) -> None:
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 1, timeout=None)
