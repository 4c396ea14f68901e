"""Writes: schedules and layers (managers), overrides and swaps (the engineers themselves), feeds, reminders.

Each service is one transaction; the people told are told through the outbox (notify_people), whose keys make a
notice once however often the cause is replayed.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from notifications.services import notify_people
from supportdesk.errors import DomainError, NotPermitted
from tickets.models import QueueMember

from . import selectors, shifts
from .models import Layer, LayerMember, Override, PersonFeed, Restriction, Schedule, Swap, feed_token

if TYPE_CHECKING:
    from accounts.models import User

LONGEST = timedelta(days=31)  # an override or swap longer than this is a change of rotation, made by a manager
REMINDER_LEAD = timedelta(minutes=30)


class ScheduleRefused(DomainError):
    """An override, a swap or a layer the schedule cannot take."""


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%a %d %b %H:%M %Z}"


def _stretch(starts_at: datetime, ends_at: datetime, *, now: datetime, what: str) -> None:
    if ends_at <= starts_at:
        raise ScheduleRefused(f"The {what} must end after it starts.")
    if ends_at <= now:
        raise ScheduleRefused(f"The {what} is over already; choose a stretch still to come.")
    if ends_at - starts_at > LONGEST:
        raise ScheduleRefused(f"The {what} is longer than 31 days; ask a manager to change the rotation instead.")


def _works(user: "User", layer: Layer) -> bool:
    return user.is_active and (
        QueueMember.objects.filter(queue_id=layer.schedule.queue_id, user=user).exists() or selectors.can_manage(user)
    )


@transaction.atomic
def layer_save(*, queue_id: int, layer: Layer, members: "list[User]", windows: list[shifts.Window]) -> Layer:
    """Create or change a layer with its members in order and its restrictions (replacing the old ones); the
    queue's schedule is made with its first layer."""
    if len({m.pk for m in members}) != len(members):
        raise ScheduleRefused("A person is listed twice; name each member once.")
    if layer.schedule_id is None:
        layer.schedule, _ = Schedule.objects.get_or_create(queue_id=queue_id)
    layer.full_clean()
    layer.save()
    layer.members.all().delete()
    LayerMember.objects.bulk_create(LayerMember(layer=layer, user=u, position=i) for i, u in enumerate(members))
    layer.restrictions.all().delete()
    Restriction.objects.bulk_create(
        Restriction(layer=layer, weekday=w.weekday, starts=w.starts, ends=w.ends) for w in windows
    )
    return layer


@transaction.atomic
def layer_delete(*, layer: Layer) -> None:
    layer.delete()


@transaction.atomic
def override_create(
    *,
    layer: Layer,
    actor: "User",
    user: "User",
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    now: datetime | None = None,
) -> Override:
    """`user` covers the layer from `starts_at` to `ends_at`; whoever the layer had then is told, and so is the
    person covering when someone else set it up."""
    now = now or timezone.now()
    _stretch(starts_at, ends_at, now=now, what="override")
    if not _works(user, layer):
        raise ScheduleRefused(f"{user.display_name} does not work {layer.schedule.queue.name}; pick a member.")
    plan = selectors.layers_with_shifts(Layer.objects.filter(pk=layer.pk), since=starts_at).get().plan()
    covered = {s.person for s in shifts.layer_shifts(plan, starts_at, ends_at) if s.person is not None} - {user}
    override = Override.objects.create(
        layer=layer, user=user, starts_at=starts_at, ends_at=ends_at, reason=reason[:200], created_by=actor
    )
    what = f"{layer.schedule.queue.name} ({layer.name}) from {_when(starts_at)} to {_when(ends_at)}"
    told = [p for p in covered if p != actor]
    if told:
        notify_people(
            users=told,
            subject=f"{user.display_name} covers your on-call: {what}",
            body=f"Set up by {actor.display_name}. {reason}".strip(),
            key=f"oncall:override:{override.pk}:covered",
        )
    if user != actor:
        notify_people(
            users=[user],
            subject=f"You cover on-call for {what}",
            body=f"Set up by {actor.display_name}. {reason}".strip(),
            key=f"oncall:override:{override.pk}:cover",
        )
    return override


@transaction.atomic
def override_delete(*, override: Override, actor: "User") -> None:
    if actor.pk not in (override.user_id, override.created_by_id) and not selectors.can_manage(actor):
        raise NotPermitted("Only the person covering, who set it up, or a manager may remove an override.")
    override.delete()


def _on_call_during(layer: Layer, person: "User", starts_at: datetime, ends_at: datetime) -> bool:
    plan = selectors.layers_with_shifts(Layer.objects.filter(pk=layer.pk), since=starts_at).get().plan()
    return any(s.person == person for s in shifts.layer_shifts(plan, starts_at, ends_at))


@transaction.atomic
def swap_propose(
    *,
    layer: Layer,
    proposer: "User",
    recipient: "User",
    starts_at: datetime,
    ends_at: datetime,
    return_starts_at: datetime | None = None,
    return_ends_at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Swap:
    """Ask `recipient` to take the proposer's shifts from `starts_at` to `ends_at` (and give one of theirs in
    return, if given). Nothing changes until they accept; they are told now."""
    now = now or timezone.now()
    if recipient == proposer:
        raise ScheduleRefused("Choose someone else to swap with.")
    _stretch(starts_at, ends_at, now=now, what="swap")
    if (return_starts_at is None) != (return_ends_at is None):
        raise ScheduleRefused("Give both the start and the end of the stretch in return, or neither.")
    if return_starts_at is not None and return_ends_at is not None:
        _stretch(return_starts_at, return_ends_at, now=now, what="stretch in return")
        if not _on_call_during(layer, recipient, return_starts_at, return_ends_at):
            raise ScheduleRefused(f"{recipient.display_name} is not on call then; choose a stretch of their shifts.")
    if not _works(recipient, layer):
        raise ScheduleRefused(f"{recipient.display_name} does not work {layer.schedule.queue.name}; pick a member.")
    if not _on_call_during(layer, proposer, starts_at, ends_at):
        raise ScheduleRefused("You are not on call on this layer then; choose a stretch of your own shifts.")
    swap = Swap.objects.create(
        layer=layer,
        proposer=proposer,
        recipient=recipient,
        starts_at=starts_at,
        ends_at=ends_at,
        return_starts_at=return_starts_at,
        return_ends_at=return_ends_at,
        note=note[:200],
        created_at=now,
    )
    back = ""
    if return_starts_at is not None and return_ends_at is not None:
        back = f"; you give {_when(return_starts_at)} to {_when(return_ends_at)} in return"
    notify_people(
        users=[recipient],
        subject=f"{proposer.display_name} asks you to swap on-call for {layer.schedule.queue.name}",
        body=f"You take {_when(starts_at)} to {_when(ends_at)} ({layer.name}){back}. Accept or decline on the "
        f"on-call page. {note}".strip(),
        key=f"oncall:swap:{swap.pk}:proposed",
    )
    return swap


@transaction.atomic
def swap_decide(*, swap: Swap, actor: "User", status: str, now: datetime | None = None) -> Swap:
    """The recipient accepts or declines; the proposer may cancel. Accepted, it becomes overrides. Once only."""
    now = now or timezone.now()
    swap = Swap.objects.select_for_update().select_related("layer__schedule__queue").get(pk=swap.pk)
    allowed: dict[str, int] = {Swap.Status.ACCEPTED: swap.recipient_id, Swap.Status.DECLINED: swap.recipient_id}
    allowed[Swap.Status.CANCELLED] = swap.proposer_id
    if status not in allowed:
        raise ScheduleRefused("Accept, decline or cancel a swap.")
    if allowed[status] != actor.pk:
        raise NotPermitted("Only the person asked may accept or decline a swap; only who asked may cancel it.")
    if swap.status != Swap.Status.PROPOSED:
        raise ScheduleRefused(f"This swap was {swap.get_status_display().lower()} already.")
    if status == Swap.Status.ACCEPTED:
        if swap.ends_at <= now:
            raise ScheduleRefused("This swap is over already; ask for a new one.")
        reason = f"Swap with {swap.proposer.display_name}"
        Override.objects.create(
            layer=swap.layer, user=swap.recipient, starts_at=swap.starts_at, ends_at=swap.ends_at, reason=reason,
            created_by=actor,
        )  # fmt: skip
        if swap.return_starts_at and swap.return_ends_at:
            Override.objects.create(
                layer=swap.layer, user=swap.proposer, starts_at=swap.return_starts_at, ends_at=swap.return_ends_at,
                reason=f"Swap with {swap.recipient.display_name}", created_by=actor,
            )  # fmt: skip
    swap.status, swap.decided_at = status, now
    swap.save(update_fields=["status", "decided_at"])
    other = swap.proposer if actor.pk == swap.recipient_id else swap.recipient
    notify_people(
        users=[other],
        subject=f"{actor.display_name} {swap.get_status_display().lower()} the on-call swap for "
        f"{swap.layer.schedule.queue.name} from {_when(swap.starts_at)}",
        body="",
        key=f"oncall:swap:{swap.pk}:{status}",
    )
    return swap


@transaction.atomic
def person_feed_token(*, user: "User", regenerate: bool = False) -> str:
    """The person's secret feed token, made on first use; regenerated, the old address stops working."""
    feed, created = PersonFeed.objects.select_for_update().get_or_create(user=user)
    if regenerate and not created:
        feed.token = feed_token()
        feed.save(update_fields=["token"])
    return feed.token


@transaction.atomic
def schedule_feed_regenerate(*, schedule: Schedule) -> str:
    schedule.feed_token = feed_token()
    schedule.save(update_fields=["feed_token"])
    return schedule.feed_token


@transaction.atomic
def shift_reminders_send(*, now: datetime | None = None, lead: timedelta = REMINDER_LEAD) -> int:
    """Tell each person whose shift starts within `lead` from now. Once per shift: the outbox key names the layer,
    the person and the start, so a run repeated or overlapping the last enqueues nothing new."""
    now = now or timezone.now()
    sent = 0
    for layer in selectors.layers_with_shifts_all(since=now):
        for shift in shifts.shift_starts([layer.plan()], now, now + lead):
            person: Any = shift.person  # shift_starts names only shifts with someone on them
            sent += notify_people(
                users=[person],
                subject=f"Your on-call shift for {layer.schedule.queue.name} ({layer.name}) starts at "
                f"{_when(shift.starts_at)}",
                body="The on-call page and your iCal feed have your shifts.",
                key=f"oncall:reminder:{layer.pk}:{person.pk}:{shift.starts_at:%Y%m%dT%H%MZ}",
            )
    return sent
