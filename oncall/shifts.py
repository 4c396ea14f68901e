"""Schedule arithmetic: who is on call, the shifts over a window, hand-overs and gaps. Pure: no database.

A layer hands over at a wall-clock time in its own zone: a daily layer at `handoff_time` every local day, a
weekly one every seventh local day, so a change of clocks moves the instant (09:00 in London is 08:00 UTC in
summer) but never the local time. A layer of custom hours counts real hours from its first hand-off: a 12-hour
shift is always 12 hours long, so across a change of clocks its local hand-off times move by an hour. Restrictions
are local times too. Every instant here is aware; arithmetic between instants is done in UTC.
"""

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from supportdesk.zones import instant

MIDNIGHT = time(0)
DAILY, WEEKLY, CUSTOM = "daily", "weekly", "custom"
Person = Any  # a user in the portal; anything hashable in tests


@dataclass(frozen=True)
class Window:
    """When a restricted layer has someone: from `starts` on `weekday` (Monday is 0) to `ends`, local times; an
    end at or before the start runs past midnight into the next day (00:00 is midnight)."""

    weekday: int
    starts: time
    ends: time


@dataclass(frozen=True)
class Cover:
    """An override: `person` on call from `starts_at` to `ends_at`, whoever the rotation says."""

    person: Person
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class LayerPlan:
    """One layer as the arithmetic reads it."""

    zone: ZoneInfo
    shift: str  # DAILY, WEEKLY or CUSTOM
    start_day: date  # the first hand-off, to the first member (on the hand-off weekday for a weekly layer)
    handoff_time: time
    members: Sequence[Person]
    hours: int = 24  # CUSTOM only: the shift's length in real hours
    windows: Sequence[Window] = ()  # empty: no restriction
    covers: Sequence[Cover] = ()
    key: Hashable = None  # the layer's id, carried into its shifts
    position: int = 1


@dataclass(frozen=True)
class Shift:
    """A stretch with one person (or nobody) on a layer. `override` says an override put them there."""

    starts_at: datetime
    ends_at: datetime
    person: Person | None
    override: bool = False
    layer: Hashable = None
    position: int = 1

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at


@dataclass(frozen=True)
class Turn:
    index: int  # how many hand-offs since the first
    starts_at: datetime
    ends_at: datetime


def _first(plan: LayerPlan) -> datetime:
    return instant(plan.start_day, plan.handoff_time, plan.zone)


def turn_at(plan: LayerPlan, at: datetime) -> Turn | None:
    """The rotation's turn holding `at`; None before the first hand-off."""
    first = _first(plan)
    if at < first:
        return None
    if plan.shift == CUSTOM:
        length = timedelta(hours=plan.hours)
        index = (at - first) // length  # real hours: UTC arithmetic
        return Turn(index, first + index * length, first + (index + 1) * length)
    days = 7 if plan.shift == WEEKLY else 1
    local = at.astimezone(plan.zone).date()
    offset = (local - plan.start_day).days // days * days  # the local day of the last hand-off on or before `at`
    day = plan.start_day + timedelta(days=offset)
    if instant(day, plan.handoff_time, plan.zone) > at:  # the local day's hand-off is still to come
        day -= timedelta(days=days)
    return Turn(
        (day - plan.start_day).days // days,
        instant(day, plan.handoff_time, plan.zone),
        instant(day + timedelta(days=days), plan.handoff_time, plan.zone),
    )


def _window_spans(plan: LayerPlan, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The restriction windows meeting [start, end), as instants."""
    spans = []
    day = start.astimezone(plan.zone).date() - timedelta(days=1)  # a window of yesterday may run past midnight
    last = end.astimezone(plan.zone).date()
    while day <= last:
        for w in plan.windows:
            if w.weekday != day.weekday():
                continue
            end_day = day if w.ends > w.starts else day + timedelta(days=1)
            opens, closes = instant(day, w.starts, plan.zone), instant(end_day, w.ends, plan.zone)
            if opens < end and closes > start:
                spans.append((opens, closes))
        day += timedelta(days=1)
    return spans


def _covering(plan: LayerPlan, at: datetime) -> Cover | None:
    # The override that started last wins: a cover inside a longer one (a sick hour inside a holiday) shows
    covering = [c for c in plan.covers if c.starts_at <= at < c.ends_at]
    return max(covering, key=lambda c: c.starts_at) if covering else None


def on_call_at(plan: LayerPlan, at: datetime) -> Shift | None:
    """Who the layer has at `at`, as a one-instant shift's person and whether an override put them there; None
    when it has nobody (not started, no members, outside its restrictions)."""
    cover = _covering(plan, at)
    if cover is not None:
        return Shift(at, at, cover.person, override=True, layer=plan.key, position=plan.position)
    if plan.windows and not _window_spans(plan, at, at + timedelta(microseconds=1)):
        return None
    turn = turn_at(plan, at)
    if turn is None or not plan.members:
        return None
    return Shift(at, at, plan.members[turn.index % len(plan.members)], layer=plan.key, position=plan.position)


def _edges(plan: LayerPlan, start: datetime, end: datetime) -> list[datetime]:
    """Every moment in (start, end) at which the layer's person may change."""
    edges = {_first(plan)}
    turn = turn_at(plan, start)
    moment = turn.ends_at if turn else _first(plan)
    while moment < end:
        edges.add(moment)
        moment = turn_at(plan, moment).ends_at  # type: ignore[union-attr]  # past the first hand-off
    for opens, closes in _window_spans(plan, start, end):
        edges |= {opens, closes}
    for c in plan.covers:
        edges |= {c.starts_at, c.ends_at}
    return sorted(e for e in edges if start < e < end)


def layer_shifts(plan: LayerPlan, start: datetime, end: datetime) -> list[Shift]:
    """The layer's final shifts over [start, end): rotation, restrictions and overrides applied, one shift per
    stretch of one person, nobody's stretches included (person None). The first and last are cut at the window."""
    shifts: list[Shift] = []
    bounds = [start, *_edges(plan, start, end), end]
    for begin, finish in pairwise(bounds):
        slot = on_call_at(plan, begin)  # nothing changes inside an elementary stretch
        person, override = (slot.person, slot.override) if slot else (None, False)
        last = shifts[-1] if shifts else None
        if last is not None and (last.person, last.override) == (person, override):
            shifts[-1] = Shift(last.starts_at, finish, person, override, plan.key, plan.position)
        else:
            shifts.append(Shift(begin, finish, person, override, plan.key, plan.position))
    return shifts


def handover_after(plan: LayerPlan, at: datetime, *, horizon: timedelta) -> Shift | None:
    """The next stretch with another person (or nobody) after the one holding `at`, within the horizon."""
    shifts = layer_shifts(plan, at, at + horizon)
    current = shifts[0].person if shifts else None
    return next((s for s in shifts[1:] if s.person != current), None)


def gaps(plan: LayerPlan | None, start: datetime, end: datetime) -> list[Shift]:
    """Stretches over [start, end) with nobody on the layer (all of it when there is no layer)."""
    if plan is None:
        return [Shift(start, end, None)]
    return [s for s in layer_shifts(plan, start, end) if s.person is None]


def shift_starts(plans: Iterable[LayerPlan], start: datetime, end: datetime) -> list[Shift]:
    """The shifts that begin in (start, end] with someone on them: what a reminder before a shift reads. A shift
    running at `start` did not begin in the window, nor did one continuing the same person's."""
    found = []
    for plan in plans:
        before = on_call_at(plan, start)
        previous = before.person if before else None
        for shift in layer_shifts(plan, start, end + timedelta(microseconds=1))[1:]:
            if shift.person is not None and shift.person != previous:
                found.append(shift)
            previous = shift.person
    return found


@dataclass
class Day:
    """One local day of a calendar: each layer's shifts cut to the day, and the gaps of the primary layer."""

    day: date
    starts_at: datetime
    ends_at: datetime
    shifts: list[Shift] = field(default_factory=list)
    gaps: list[Shift] = field(default_factory=list)


def calendar_days(plans: Sequence[LayerPlan], *, first: date, days: int, zone: ZoneInfo) -> list[Day]:
    """The next `days` local days in the viewer's zone, each with every layer's shifts (in layer order) and the
    primary layer's gaps; a day of 23 or 25 hours is as long as the zone says."""
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        begin, finish = instant(day, MIDNIGHT, zone), instant(day + timedelta(days=1), MIDNIGHT, zone)
        shifts = [s for plan in plans for s in layer_shifts(plan, begin, finish) if s.person is not None]
        primary = min(plans, key=lambda p: p.position) if plans else None
        out.append(Day(day, begin, finish, shifts, gaps(primary, begin, finish)))
    return out
