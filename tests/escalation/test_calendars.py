"""due_at, the SLA clock's arithmetic: a table of starts, durations and calendars. No database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalation.calendars import WorkingWeek, due_at

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
NINE_TO_FIVE = (time(9), time(17))
WEEKDAYS = range(5)


def week(zone: ZoneInfo, *spans: tuple[time, time], days=WEEKDAYS, holidays=()) -> WorkingWeek:
    return WorkingWeek(zone=zone, hours={d: tuple(spans) for d in days}, holidays=frozenset(holidays))


def at(zone, *fields) -> datetime:
    return datetime(*fields, tzinfo=zone)


london = week(LONDON, NINE_TO_FIVE)
new_york = week(NEW_YORK, NINE_TO_FIVE)
h = lambda n: timedelta(hours=n)  # noqa: E731

CASES = [
    # (why, start, duration, calendar, due)
    ("24x7 without a calendar", at(UTC, 2026, 1, 9, 18), h(4), None, at(UTC, 2026, 1, 9, 22)),
    ("within hours", at(LONDON, 2026, 1, 5, 10), h(2), london, at(LONDON, 2026, 1, 5, 12)),
    ("ending exactly at closing stays that day", at(LONDON, 2026, 1, 9, 15), h(2), london, at(LONDON, 2026, 1, 9, 17)),
    ("Friday afternoon runs into Monday", at(LONDON, 2026, 1, 9, 16), h(2), london, at(LONDON, 2026, 1, 12, 10)),
    ("Friday evening waits for Monday", at(LONDON, 2026, 1, 9, 18), h(1), london, at(LONDON, 2026, 1, 12, 10)),
    ("a Saturday start waits for Monday", at(LONDON, 2026, 1, 10, 11), h(1), london, at(LONDON, 2026, 1, 12, 10)),
    ("before opening waits for it", at(LONDON, 2026, 1, 5, 7), h(1), london, at(LONDON, 2026, 1, 5, 10)),
    ("several working days", at(LONDON, 2026, 1, 5, 9), h(20), london, at(LONDON, 2026, 1, 7, 13)),
    (
        "a holiday Monday is skipped",
        at(LONDON, 2026, 1, 9, 16),
        h(2),
        week(LONDON, NINE_TO_FIVE, holidays=[date(2026, 1, 12)]),
        at(LONDON, 2026, 1, 13, 10),
    ),
    (
        "a lunch break does not count",
        at(LONDON, 2026, 1, 5, 11),
        h(2),
        week(LONDON, (time(9), time(12)), (time(13), time(17))),
        at(LONDON, 2026, 1, 5, 14),
    ),
    (
        "closing at 00:00 means midnight",
        at(LONDON, 2026, 1, 9, 22),
        h(4),
        week(LONDON, (time(0), time(0))),
        at(LONDON, 2026, 1, 12, 2),
    ),
    # Clocks go forward on Sunday 29 March 2026: Monday 10:00 is 09:00 UTC, not 10:00
    ("London across the spring change", at(UTC, 2026, 3, 27, 16), h(2), london, at(UTC, 2026, 3, 30, 9)),
    # ...and back on Sunday 25 October 2026: Monday 10:00 is 10:00 UTC again
    ("London across the autumn change", at(UTC, 2026, 10, 23, 15), h(2), london, at(UTC, 2026, 10, 26, 10)),
    (
        "the short night counts as real hours",
        at(UTC, 2026, 3, 28, 12),
        h(24),
        week(LONDON, (time(0), time(0)), days=range(7)),
        at(UTC, 2026, 3, 29, 12),
    ),
    # 13:00 UTC is 08:00 in New York: an hour before opening
    ("New York, a UTC start before its opening", at(UTC, 2026, 1, 5, 13), h(1), new_york, at(UTC, 2026, 1, 5, 15)),
    # 03:00 UTC on Tuesday is still Monday evening in New York
    (
        "New York, a UTC Tuesday that is its Monday night",
        at(UTC, 2026, 1, 6, 3),
        h(1),
        new_york,
        at(NEW_YORK, 2026, 1, 6, 10),
    ),
    # 00:30 UTC on Saturday is 19:30 on Friday in New York: closed, so Monday 09:00 plus two hours
    (
        "New York, a UTC Saturday that is its Friday evening",
        at(UTC, 2026, 1, 10, 0, 30),
        h(2),
        new_york,
        at(NEW_YORK, 2026, 1, 12, 11),
    ),
]


@pytest.mark.parametrize(("why", "start", "duration", "calendar", "due"), CASES, ids=[c[0] for c in CASES])
def test_due_at(why, start, duration, calendar, due):
    assert due_at(start, duration, calendar) == due


def test_a_calendar_without_hours_is_refused_rather_than_looping():
    with pytest.raises(ValueError, match="without working hours"):
        due_at(at(UTC, 2026, 1, 5, 9), h(1), WorkingWeek(zone=LONDON, hours={}))
