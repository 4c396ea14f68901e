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


def working_time(start: datetime, end: datetime, calendar: WorkingWeek | None) -> timedelta:
    """How much working time lies between two moments (nothing when `end` is not after `start`): what a paused SLA
    clock did not count. Without a calendar every hour counts."""
    if end <= start:
        return timedelta(0)
    if calendar is None:
        return end - start
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    day, last = start.astimezone(calendar.zone).date(), end.astimezone(calendar.zone).date()
    while day <= last:
        if day not in calendar.holidays:
            for opens, closes in calendar.hours.get(day.weekday(), ()):
                end_day = day + timedelta(days=1) if closes == MIDNIGHT else day
                begin, stop = (
                    max(instant(day, opens, calendar.zone), start),
                    min(instant(end_day, closes, calendar.zone), end),
                )
                if stop > begin:
                    total += stop - begin
        day += timedelta(days=1)
    return total


def shifted(moment: datetime, by: timedelta, calendar: WorkingWeek | None) -> datetime:
    """A due time moved later by `by` of working time; unmoved by nothing (`due_at` would carry a due time that falls
    outside hours on to the next opening)."""
    return due_at(moment, by, calendar) if by > timedelta(0) else moment
