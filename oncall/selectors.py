"""Reads: who is on call now and next, the calendar of the next weeks, a person's shifts, who may act on a schedule.

Every read prefetches a schedule's layers with their members, restrictions and the overrides not over yet, so its
cost is a fixed number of queries however many queues, layers and people there are.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from tickets.models import Queue, QueueMember

from . import shifts
from .models import Layer, LayerMember, Override, PersonFeed, Schedule, Swap

if TYPE_CHECKING:
    from accounts.models import User

HORIZON = timedelta(weeks=6)  # how far ahead "next" looks: past it, nobody else is due
MANAGE = "oncall.manage_schedule"


def layers_with_shifts(layers: QuerySet[Layer], *, since: datetime) -> QuerySet[Layer]:
    """Layers with their members, restrictions and the overrides not over by `since`: three more queries."""
    return layers.prefetch_related(
        Prefetch("members", queryset=LayerMember.objects.select_related("user")),
        "restrictions",
        Prefetch("overrides", queryset=Override.objects.filter(ends_at__gt=since).select_related("user")),
    )


def schedules_with_layers(schedules: QuerySet[Schedule], *, since: datetime) -> QuerySet[Schedule]:
    layers = layers_with_shifts(Layer.objects.order_by("position"), since=since)
    return schedules.select_related("queue").prefetch_related(Prefetch("layers", queryset=layers))


def can_manage(user: "User") -> bool:
    """Managers and admins edit any schedule and see its gaps."""
    return user.has_perm(MANAGE)


def can_act_on(user: "User", schedule: Schedule) -> bool:
    """Engineers act (overrides, swaps) on the schedules of the queues they work; managers and admins on any."""
    return can_manage(user) or QueueMember.objects.filter(queue_id=schedule.queue_id, user=user).exists()


def schedule_page(*, slug: str, since: datetime) -> Schedule:
    """A queue's schedule with everything the page reads; any queue's for staff (a 404 for a queue without one)."""
    return get_object_or_404(schedules_with_layers(Schedule.objects.all(), since=since), queue__slug=slug)


@dataclass(frozen=True)
class LayerNow:
    layer: Layer
    current: shifts.Shift  # person None: nobody; ends_at: when that ends (None past the horizon)
    next: shifts.Shift | None  # the next stretch with someone else, or None within the horizon

    @property
    def until(self) -> datetime | None:
        return self.next.starts_at if self.next else None


def layer_now(layer: Layer, *, now: datetime) -> LayerNow:
    plan = layer.plan()
    current = shifts.layer_shifts(plan, now, now + HORIZON)[0]
    return LayerNow(layer, current, shifts.handover_after(plan, now, horizon=HORIZON))


@dataclass(frozen=True)
class QueueNow:
    queue: Queue
    schedule: Schedule | None
    layers: list[LayerNow]


def oncall_board(*, now: datetime) -> list[QueueNow]:
    """Every queue with each layer's person now and next: a constant number of queries."""
    schedules = schedules_with_layers(Schedule.objects.all(), since=now)
    rows = []
    for queue in Queue.objects.order_by("name").prefetch_related(Prefetch("oncall_schedule", queryset=schedules)):
        schedule = getattr(queue, "oncall_schedule", None)
        layers = [layer_now(layer, now=now) for layer in schedule.layers.all()] if schedule else []
        rows.append(QueueNow(queue, schedule, layers))
    return rows


def oncall_people(*, queue_id: int, at: datetime, layer: int | None = None) -> "list[tuple[Layer, User]]":
    """Who the queue has on call at a moment on the layer at that position (1 the primary), or on every layer when
    `layer` is None: (layer, person) in layer order, the layers with nobody left out."""
    layers = layers_with_shifts(Layer.objects.filter(schedule__queue_id=queue_id).order_by("position"), since=at)
    if layer is not None:
        layers = layers.filter(position=layer)
    found = []
    for row in layers:
        slot = shifts.on_call_at(row.plan(), at)
        if slot is not None and slot.person is not None:
            found.append((row, slot.person))
    return found


def schedule_calendar(*, schedule: Schedule, first: date, days: int, zone: ZoneInfo) -> list[shifts.Day]:
    """The schedule's next days in the viewer's zone (the schedule read through schedules_with_layers)."""
    return shifts.calendar_days([layer.plan() for layer in schedule.layers.all()], first=first, days=days, zone=zone)


def _layers_of(user: "User", *, since: datetime) -> QuerySet[Layer]:
    """The layers a person is on: as a member, or covering a stretch not over yet."""
    member = LayerMember.objects.filter(layer=OuterRef("pk"), user=user)
    covers = Override.objects.filter(layer=OuterRef("pk"), user=user, ends_at__gt=since)
    layers = Layer.objects.filter(Exists(member) | Exists(covers)).select_related("schedule__queue")
    return layers_with_shifts(layers.order_by("schedule__queue__name", "position"), since=since)


def person_shifts(*, user: "User", start: datetime, end: datetime) -> list[tuple[Layer, shifts.Shift]]:
    """A person's shifts over [start, end) on every layer they are on, in time order."""
    mine = [
        (layer, shift)
        for layer in _layers_of(user, since=start)
        for shift in shifts.layer_shifts(layer.plan(), start, end)
        if shift.person == user
    ]
    return sorted(mine, key=lambda pair: pair[1].starts_at)


def schedule_shifts(*, schedule: Schedule, start: datetime, end: datetime) -> list[tuple[Layer, shifts.Shift]]:
    """Every layer's stretches with someone on them over [start, end)."""
    return [
        (layer, shift)
        for layer in schedule.layers.all()
        for shift in shifts.layer_shifts(layer.plan(), start, end)
        if shift.person is not None
    ]


def overrides_ahead(*, schedule: Schedule, now: datetime) -> list[Override]:
    """The schedule's overrides not over yet, from the prefetch schedules_with_layers made (no query)."""
    found = [o for layer in schedule.layers.all() for o in layer.overrides.all() if o.ends_at > now]
    return sorted(found, key=lambda o: o.starts_at)


def swaps_open_for(*, user: "User") -> QuerySet[Swap]:
    """Swaps waiting on the person (to accept) or proposed by them (to cancel)."""
    related = Swap.objects.filter(Q(recipient=user) | Q(proposer=user), status=Swap.Status.PROPOSED)
    return related.select_related("layer__schedule__queue", "proposer", "recipient").order_by("starts_at")


def feed_owner(*, token: str) -> "tuple[Schedule | None, User | None]":
    """Whose feed a secret address opens: a schedule's, a person's, or neither."""
    schedule = Schedule.objects.filter(feed_token=token).first()
    if schedule is not None:
        return schedule, None
    feed = PersonFeed.objects.filter(token=token, user__is_active=True).select_related("user").first()
    return None, feed.user if feed else None


def layers_with_shifts_all(*, since: datetime) -> QuerySet[Layer]:
    """Every layer, for the reminders."""
    return layers_with_shifts(Layer.objects.select_related("schedule__queue"), since=since)
