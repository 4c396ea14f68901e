"""Per-person access facts (permissions, queue memberships) cached between requests.

Every page needs them; reading them costs three queries. Any change to groups, permissions or
queue membership bumps one version number, so no one keeps an access they just lost.
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")
_VERSION_KEY = "access:version"
_TIMEOUT = 300


def _version() -> int:
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, 1, timeout=None)
        version = cache.get(_VERSION_KEY, 1)
    return version


def access_cached(user, name: str, compute: Callable[[], T]) -> T:
    version = getattr(user, "_access_version", None)
    if version is None:
        version = user._access_version = _version()
    key = f"access:{version}:{user.pk}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=_TIMEOUT)
    return value


def access_changed(**kwargs) -> None:
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 1, timeout=None)
