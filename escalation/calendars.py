"""Working time: when a span of business hours, counted from a moment, runs out. Pure: no database."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from supportdesk.zones import instant

MIDNIGHT = time(0)
Span = tuple[time, time]  # opens, closes; closing at 00:00 means at midnight, the end of the day


@dataclass(frozen=True)
class WorkingWeek:
    """A business calendar as `due_at` reads it."""

    zone: ZoneInfo
    hours: Mapping[int, tuple[Span, ...]]  # weekday (Monday is 0) → its spans, in order
    holidays: frozenset[date] = frozenset()


def due_at(start: datetime, duration: timedelta, calendar: WorkingWeek | None) -> datetime:
    """The moment `duration` of working time after `start` has passed.

    Without a calendar every hour counts (24x7). With one, only its working hours on days that are not holidays
    count, read in its own time zone, so a start outside hours waits for the next opening and a weekend or a
    change of clocks is neither counted nor lost.
    """
    if calendar is None:
        return start + duration
    if not any(calendar.hours.values()):
        raise ValueError("A calendar without working hours never reaches a due time.")
    start = start.astimezone(UTC)
    remaining = duration
    day = start.astimezone(calendar.zone).date()
    while True:
        if day not in calendar.holidays:
            for opens, closes in calendar.hours.get(day.weekday(), ()):
                begin = max(instant(day, opens, calendar.zone), start)
                end_day = day + timedelta(days=1) if closes == MIDNIGHT else day
                end = instant(end_day, closes, calendar.zone)
                if end <= begin:
                    continue
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
        day += timedelta(days=1)
