"""Time zones: checking an IANA name, and a local day and time as an instant. Imports no app."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError


def validate_time_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"“{name}” is not a time zone; use an IANA name such as Europe/London.") from exc


def instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local day and time in a zone, as a UTC instant (a time a change of clocks skips reads with the offset
    before it)."""
    # UTC: aware datetimes in one zone subtract by the wall clock, which is wrong on the days clocks change.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
