"""The schedule arithmetic, pure: hand-offs at wall-clock time across changes of clocks, custom hours as real hours,
restrictions, overrides, hand-overs, gaps, reminders' shift starts, follow-the-sun across zones."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from oncall.shifts import (
    CUSTOM,
    DAILY,
    WEEKLY,
    Cover,
    LayerPlan,
    Window,
    calendar_days,
    gaps,
    handover_after,
    layer_shifts,
    on_call_at,
    shift_starts,
)

LONDON, NEW_YORK, SYDNEY = ZoneInfo("Europe/London"), ZoneInfo("America/New_York"), ZoneInfo("Australia/Sydney")


def utc(*fields) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def who(plan: LayerPlan, at: datetime):
    slot = on_call_at(plan, at)
    return slot.person if slot else None


def weekly(zone=LONDON, start=date(2026, 3, 2), members=("ann", "bob", "cy"), **kw) -> LayerPlan:
    """Mondays 09:00 local; the first hand-off Monday 2 March 2026."""
    return LayerPlan(zone=zone, shift=WEEKLY, start_day=start, handoff_time=time(9), members=members, **kw)


WEEKLY_LONDON = [
    ("before the first hand-off", utc(2026, 3, 2, 8, 59), None),
    ("the first hand-off", utc(2026, 3, 2, 9), "ann"),
    ("the last minute of the first week", utc(2026, 3, 9, 8, 59), "ann"),
    ("the second hand-off", utc(2026, 3, 9, 9), "bob"),
    ("round again", utc(2026, 3, 23, 12), "ann"),
    # Clocks go forward on 29 March: 09:00 in London is now 08:00 UTC
    ("before the hand-off after clocks go forward", utc(2026, 3, 30, 7, 59), "ann"),
    ("the hand-off after clocks go forward", utc(2026, 3, 30, 8), "bob"),
    # Clocks go back on 25 October: 09:00 in London is 09:00 UTC again
    ("the Monday after clocks go back, 08:30 UTC", utc(2026, 10, 26, 8, 30), "ann"),
    ("the hand-off after clocks go back", utc(2026, 10, 26, 9), "bob"),
]


@pytest.mark.parametrize(("why", "moment", "name"), WEEKLY_LONDON, ids=[c[0] for c in WEEKLY_LONDON])
def test_a_weekly_layer_hands_off_at_its_local_time_across_changes_of_clocks(why, moment, name):
    assert who(weekly(), moment) == name


def test_a_daily_layer_in_new_york_keeps_0900_local_across_both_changes():
    plan = LayerPlan(zone=NEW_YORK, shift=DAILY, start_day=date(2026, 3, 6), handoff_time=time(9), members="ab")
    # Clocks go forward on 8 March in New York: 09:00 EST was 14:00 UTC, 09:00 EDT is 13:00 UTC
    assert [who(plan, utc(2026, 3, 7, 14)), who(plan, utc(2026, 3, 8, 12, 59)), who(plan, utc(2026, 3, 8, 13))] == [
        "b",
        "b",
        "a",
    ]
    assert who(plan, utc(2026, 3, 9, 12, 59)) == "a" and who(plan, utc(2026, 3, 9, 13)) == "b"
    # The shift over the change is 23 hours long; the next 24 again
    shifts = [s for s in layer_shifts(plan, utc(2026, 3, 7, 14), utc(2026, 3, 10, 13)) if s.starts_at.minute == 0]
    assert [s.duration for s in shifts] == [timedelta(hours=23), timedelta(hours=24), timedelta(hours=24)]
    # 1 November, clocks go back: that day's shift is 25 hours long
    autumn = layer_shifts(plan, utc(2026, 10, 31, 13), utc(2026, 11, 1, 14))
    assert [s.duration for s in autumn] == [timedelta(hours=25)]


def test_custom_hours_are_real_hours_so_local_hand_offs_move_with_the_clocks():
    plan = LayerPlan(
        zone=LONDON, shift=CUSTOM, hours=12, start_day=date(2026, 3, 28), handoff_time=time(8), members="ab"
    )
    shifts = layer_shifts(plan, utc(2026, 3, 28, 8), utc(2026, 3, 30, 8))
    assert {s.duration for s in shifts} == {timedelta(hours=12)}
    local = [s.starts_at.astimezone(LONDON).strftime("%a %H:%M") for s in shifts]
    assert local == ["Sat 08:00", "Sat 20:00", "Sun 09:00", "Sun 21:00"]  # an hour later from the change on


def test_restrictions_leave_nobody_outside_their_windows_and_an_overnight_window_runs_past_midnight():
    office = weekly(members=("ann",), windows=[Window(d, time(9), time(17)) for d in range(5)])
    assert who(office, utc(2026, 3, 3, 12)) == "ann"
    assert who(office, utc(2026, 3, 3, 17)) is None
    assert who(office, utc(2026, 3, 7, 12)) is None  # Saturday
    nights = weekly(members=("bob",), windows=[Window(4, time(18), time(9))])  # Friday 18:00 to Saturday 09:00
    assert who(nights, utc(2026, 3, 6, 23)) == "bob" and who(nights, utc(2026, 3, 7, 8, 59)) == "bob"
    assert who(nights, utc(2026, 3, 7, 9)) is None


def test_an_override_covers_its_stretch_the_latest_started_wins_and_the_rotation_resumes():
    plan = weekly(
        covers=[
            Cover("cy", utc(2026, 3, 10, 12), utc(2026, 3, 11, 12)),
            Cover("ann", utc(2026, 3, 10, 18), utc(2026, 3, 10, 19)),
        ]
    )
    assert [who(plan, utc(2026, 3, 10, h)) for h in (11, 12, 18, 19)] == ["bob", "cy", "ann", "cy"]
    assert who(plan, utc(2026, 3, 11, 12)) == "bob"
    assert on_call_at(plan, utc(2026, 3, 10, 12)).override is True
    shifts = layer_shifts(plan, utc(2026, 3, 10), utc(2026, 3, 12))
    assert [(s.person, s.override) for s in shifts] == [
        ("bob", False),
        ("cy", True),
        ("ann", True),
        ("cy", True),
        ("bob", False),
    ]


def test_an_override_covers_a_restricted_layers_hours_off():
    plan = weekly(
        members=("ann",),
        windows=[Window(0, time(9), time(17))],
        covers=[Cover("bob", utc(2026, 3, 3, 20), utc(2026, 3, 3, 22))],
    )
    assert who(plan, utc(2026, 3, 3, 21)) == "bob"


def test_the_hand_over_is_the_next_stretch_with_someone_else_and_none_when_nobody_else_is_due():
    plan = weekly(covers=[Cover("cy", utc(2026, 3, 4, 12), utc(2026, 3, 5, 12))])
    nxt = handover_after(plan, utc(2026, 3, 3, 10), horizon=timedelta(weeks=6))
    assert (nxt.person, nxt.starts_at, nxt.ends_at) == ("cy", utc(2026, 3, 4, 12), utc(2026, 3, 5, 12))
    alone = weekly(members=("ann",))
    assert handover_after(alone, utc(2026, 3, 3), horizon=timedelta(weeks=6)) is None


def test_gaps_are_the_stretches_with_nobody_on_the_layer():
    office = weekly(members=("ann",), windows=[Window(d, time(9), time(17)) for d in range(5)])
    found = gaps(office, utc(2026, 3, 3), utc(2026, 3, 4))
    assert [(g.starts_at, g.ends_at) for g in found] == [
        (utc(2026, 3, 3), utc(2026, 3, 3, 9)),
        (utc(2026, 3, 3, 17), utc(2026, 3, 4)),
    ]
    assert gaps(None, utc(2026, 3, 3), utc(2026, 3, 4))[0].duration == timedelta(days=1)


def test_follow_the_sun_two_restricted_layers_in_two_zones_leave_no_gap_between_them():
    # London 08:00-20:00 (UTC in winter), Sydney 07:00-19:00 AEDT (20:00-08:00 UTC the day before)
    europe = weekly(members=("ann",), windows=[Window(d, time(8), time(20)) for d in range(7)])
    apac = LayerPlan(
        zone=SYDNEY, shift=WEEKLY, start_day=date(2026, 3, 2), handoff_time=time(7), members=("kai",),
        windows=[Window(d, time(7), time(19)) for d in range(7)],
    )  # fmt: skip
    start, end = utc(2026, 3, 10), utc(2026, 3, 12)
    people = sorted(
        (s.starts_at, s.person) for plan in (europe, apac) for s in layer_shifts(plan, start, end) if s.person
    )
    covered = sum(
        (s.duration for plan in (europe, apac) for s in layer_shifts(plan, start, end) if s.person), timedelta()
    )
    assert covered == end - start
    assert [p for _, p in people][:3] == ["kai", "ann", "kai"]


def test_shift_starts_names_each_shift_that_begins_in_the_window_once():
    plan = weekly()
    assert [(s.person, s.starts_at) for s in shift_starts([plan], utc(2026, 3, 9, 8, 30), utc(2026, 3, 9, 9))] == [
        ("bob", utc(2026, 3, 9, 9))
    ]
    assert shift_starts([plan], utc(2026, 3, 9, 9), utc(2026, 3, 9, 9, 30)) == []  # began at the window's start


def test_the_calendar_has_the_viewers_local_days_23_hours_on_the_spring_change():
    plan = weekly(members=("ann",), windows=[Window(6, time(10), time(12))])
    days = calendar_days([plan], first=date(2026, 3, 28), days=3, zone=LONDON)
    assert [d.ends_at - d.starts_at for d in days] == [timedelta(hours=24), timedelta(hours=23), timedelta(hours=24)]
    sunday = days[1]
    assert [(s.starts_at, s.ends_at) for s in sunday.shifts] == [(utc(2026, 3, 29, 9), utc(2026, 3, 29, 11))]
    assert len(sunday.gaps) == 2
