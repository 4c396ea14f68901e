"""Time zones by their IANA names: which names are valid, and how a moment reads in the active zone.

The active zone is the viewer's (accounts.middleware.TimeZoneMiddleware); every time a page shows names its zone,
so a reader never has to guess whether 14:05 is theirs or the server's.
"""

import functools
import zoneinfo
from datetime import datetime, tzinfo

from django.utils import timezone

# Django's `date` format for a moment on a page: day, month, time and the zone's abbreviation (CET, EDT, +0530)
DATE_TIME = "j M H:i T"
DATE_TIME_YEAR = "j M Y H:i T"
# The same for Python's strftime (the Jinja partials)
STRFTIME = "%d %b %H:%M %Z"
STRFTIME_YEAR = "%d %b %Y %H:%M %Z"


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name this system knows, sorted; the legacy aliases (EST5EDT, Etc/GMT+5) left out."""
    return tuple(sorted(name for name in zoneinfo.available_timezones() if "/" in name and not name.startswith("Etc/")))


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_named(name: str | None) -> zoneinfo.ZoneInfo | None:
    """The zone of that IANA name, or None for an empty, unknown or malformed one (a cookie can hold anything)."""
    if not name or len(name) > 64 or name not in _known():
        return None
    return zoneinfo.ZoneInfo(name)


def local(moment: datetime, zone: tzinfo | None = None) -> datetime:
    """The moment in the active zone (or the one given); a naive moment is taken as it is."""
    return timezone.localtime(moment, zone) if timezone.is_aware(moment) else moment


def active_zone_name() -> str:
    return timezone.get_current_timezone_name()
