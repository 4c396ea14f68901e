"""SLA clocks: due times from the policy that applies, pauses while the ticket waits, the update cadence, and the
sweep that records warnings, breaches and overdue updates."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Least
from django.utils import timezone

from notifications.services import notify
from oncall.selectors import oncall_people
from tickets import timeline
from tickets.models import Ticket
from tickets.reactions import Changes, dispatch

from .. import selectors
from ..calendars import WorkingWeek, due_at, shifted, working_time
from ..models import SlaPolicy, Target, TicketSlaState
from .chains import escalation_start

S = Ticket.Status
SWEEP_BATCH = 200
_MARKS = [f"{target}_{mark}" for target in Target.values for mark in ("warned_at", "breached_at")]
# What the SLA clocks keep on the ticket row, where pages and lists read it
TICKET_COLUMNS = ("response_due_at", "resolution_due_at", "sla_paused_since", "sla_paused_for", "next_update_due_at")
_PAUSED_BY: dict[str, str] = {S.WAITING_REQUESTER: "pause_on_requester", S.WAITING_AWS: "pause_on_aws"}


def _mark(state: TicketSlaState, target: str, mark: str) -> datetime | None:
    return getattr(state, f"{target}_{mark}")


def _due(ticket: Ticket, target: str) -> datetime:
    return getattr(ticket, f"{target}_due_at")


def _columns(ticket: Ticket) -> dict:
    return {column: getattr(ticket, column) for column in TICKET_COLUMNS}


def _calendar(policy: SlaPolicy | None) -> WorkingWeek | None:
    return policy.calendar.working_week() if policy is not None and policy.calendar is not None else None


def _pauses(policy: SlaPolicy | None, ticket: Ticket) -> bool:
    """Whether the ticket's status stops its clocks under the policy; without one, as a new policy would have it."""
    flag = _PAUSED_BY.get(ticket.status)
    if flag is None:
        return False
    return bool(getattr(policy if policy is not None else SlaPolicy(), flag))  # SlaPolicy(): the defaults


def _update_due(ticket: Ticket, policy: SlaPolicy | None, now: datetime) -> datetime | None:
    """When the team owes the next public update: a period after `now` unless one is owed already; none without a
    cadence, once resolved, or while the clocks are paused."""
    period = policy.update_every if policy is not None else None
    if period is None or not ticket.is_open or ticket.sla_paused_since is not None:
        return None
    return ticket.next_update_due_at or now + period


def _pending(ticket: Ticket, target: str) -> bool:
    """Whether the target's clock still runs: acknowledgement stops the response clock, closing both, a pause both
    for a while."""
    if ticket.sla_paused_since is not None:
        return False
    return ticket.is_open and (target == Target.RESOLUTION or ticket.acknowledged_at is None)


def _next_check(ticket: Ticket, state: TicketSlaState) -> datetime | None:
    """The earliest warning, breach or update reminder not yet recorded, or None when there is none left to record
    (nor while paused)."""
    moments = [ticket.next_update_due_at] if ticket.next_update_due_at and _pending(ticket, Target.RESOLUTION) else []
    for target in Target.values:
        if not _pending(ticket, target) or _mark(state, target, "breached_at"):
            continue
        moments.append(_due(ticket, target))
        warn_at = getattr(state, f"{target}_warn_at")
        if warn_at and not _mark(state, target, "warned_at"):
            moments.append(warn_at)
    return min(moments, default=None)


def sla_apply(*, ticket: Ticket, created: bool) -> None:
    """Set the ticket's due times from the SLA policy for its severity and queue (else the severity's 24x7 targets),
    and arm its SLA clock. Runs inside the transaction of the change: a ticket created, or its severity or queue
    changed."""
    now = timezone.now()
    state = None if created else TicketSlaState.objects.get_or_create(ticket=ticket)[0]
    before = _columns(ticket)
    policy = selectors.sla_policy_for(severity_id=ticket.severity_id, queue_id=ticket.queue_id)
    state = _clock(ticket, state, policy, now=now)
    if not created:
        _follow_pause(ticket, state, policy, now)  # the new policy may pause on this status, or not
        ticket.next_update_due_at = _update_due(ticket, policy, now)
        state.next_check_at = _next_check(ticket, state)
    if _columns(ticket) != before:
        # Due times are derived from the SLA policy, which the tickets app knows nothing of: written beside the
        # service's own save, in its transaction, with no timeline event (the change that moved them has one).
        Ticket.objects.filter(pk=ticket.pk).update(**_columns(ticket))
    state.save(force_insert=created)


def sla_start(*, tickets: list[Ticket]) -> None:
    """``sla_apply`` for tickets just filed together: two statements for them all."""
    states, moved = [], []
    for ticket in tickets:
        before = _columns(ticket)
        policy = selectors.sla_policy_for(severity_id=ticket.severity_id, queue_id=ticket.queue_id)
        states.append(_clock(ticket, None, policy, now=ticket.created_at))
        if _columns(ticket) != before:
            moved.append(ticket)
    Ticket.objects.bulk_update(moved, TICKET_COLUMNS)
    TicketSlaState.objects.bulk_create(states)


def _clock(ticket: Ticket, state: TicketSlaState | None, policy: SlaPolicy | None, *, now: datetime) -> TicketSlaState:
    """The ticket's due times (set on it) and its SLA state (a new one when None), not saved. Counted from filing,
    plus what the pauses so far moved them."""
    if policy is None:
        acknowledge, resolve = ticket.severity.response_target, ticket.severity.resolution_target
    else:
        acknowledge, resolve = policy.acknowledge_within, policy.resolve_within
    calendar = _calendar(policy)
    state = state or TicketSlaState(ticket_id=ticket.pk)
    start = ticket.created_at
    paused: dict[str, timedelta] = {
        Target.RESPONSE: state.response_paused_for,
        Target.RESOLUTION: ticket.sla_paused_for,
    }
    ticket.response_due_at = due_at(start, acknowledge + paused[Target.RESPONSE], calendar)
    ticket.resolution_due_at = due_at(start, resolve + paused[Target.RESOLUTION], calendar)
    ticket.next_update_due_at = _update_due(ticket, policy, now)

    def warn_at(within: timedelta, target: str) -> datetime | None:
        return due_at(start, within * policy.warn_at / 100 + paused[target], calendar) if policy else None

    state.policy = policy
    state.response_warn_at = warn_at(acknowledge, Target.RESPONSE)
    state.resolution_warn_at = warn_at(resolve, Target.RESOLUTION)
    for target in Target.values:
        # A warning or breach recorded stands while it is still true; new targets still ahead get their own.
        warn = getattr(state, f"{target}_warn_at")
        if warn is None or warn > now:
            setattr(state, f"{target}_warned_at", None)
        if _due(ticket, target) > now:
            setattr(state, f"{target}_breached_at", None)
    state.next_check_at = _next_check(ticket, state)
    return state


def _follow_pause(ticket: Ticket, state: TicketSlaState, policy: SlaPolicy | None, now: datetime) -> None:
    """Pause the clocks when the ticket waits on what the policy pauses for; resume them when it stops waiting on
    that (a wait on something else is a pause of its own)."""
    pausing = ticket.status if ticket.is_open and _pauses(policy, ticket) else ""
    if ticket.sla_paused_since is not None and state.paused_status != pausing:
        _resume(ticket, state, policy, now)
    if pausing and ticket.sla_paused_since is None:
        ticket.sla_paused_since, state.paused_status = now, pausing


def _resume(ticket: Ticket, state: TicketSlaState, policy: SlaPolicy | None, now: datetime) -> None:
    """Move the due times (and warnings) later by the working time paused, and say so on the timeline. The response
    clock moves only by the part of the pause it was still running (not yet acknowledged)."""
    since = ticket.sla_paused_since
    assert since is not None  # only a paused clock resumes
    calendar = _calendar(policy)
    paused = working_time(since, now, calendar)
    response_ran_until = min(now, ticket.acknowledged_at or now)
    moved = {Target.RESOLUTION: paused, Target.RESPONSE: working_time(since, response_ran_until, calendar)}
    for target, by in moved.items():
        setattr(ticket, f"{target}_due_at", shifted(_due(ticket, target), by, calendar))
        if (warn := getattr(state, f"{target}_warn_at")) is not None:
            setattr(state, f"{target}_warn_at", shifted(warn, by, calendar))
    state.response_paused_for += moved[Target.RESPONSE]
    ticket.sla_paused_for += paused
    ticket.sla_paused_since = None
    waited_on = S(state.paused_status).label if state.paused_status in S.values else "a wait"
    state.paused_status = ""
    timeline.sla_resumed(
        ticket=ticket,
        waited_on=str(waited_on),
        paused_seconds=int(paused.total_seconds()),
        resolution_due_at=ticket.resolution_due_at.isoformat(),
    )


def sla_follow_status(*, ticket: Ticket, now: datetime | None = None) -> None:
    """After a change of status, inside its transaction: pause or resume the clocks (moving the due times by the
    pause), start or stop the update cadence, and arm the sweep again (a reopened ticket's clock runs again)."""
    now = now or timezone.now()
    policy = selectors.sla_policy_for(severity_id=ticket.severity_id, queue_id=ticket.queue_id)
    cadence = policy is not None and policy.update_every is not None
    if (
        ticket.sla_paused_since is None
        and not _pauses(policy, ticket)
        and not cadence
        and not ticket.next_update_due_at
    ):
        sla_rearm(ticket=ticket)  # nothing to pause, resume or remind: one UPDATE, as for an acknowledgement
        return
    # The ticket is locked by the change; its state next (the order everywhere: ticket, SLA state, escalation)
    state = TicketSlaState.objects.select_for_update().filter(ticket_id=ticket.pk).first()
    state = state or TicketSlaState(ticket_id=ticket.pk, policy=policy)  # closed before states existed
    before = _columns(ticket)
    _follow_pause(ticket, state, policy, now)
    ticket.next_update_due_at = _update_due(ticket, policy, now)  # none while paused: a whole period on resuming
    state.next_check_at = _next_check(ticket, state)
    if _columns(ticket) != before:
        Ticket.objects.filter(pk=ticket.pk).update(**_columns(ticket))
    state.save()


def sla_update_posted(*, ticket: Ticket, at: datetime) -> None:
    """A public update by the team: the next one is owed a period after it. Nothing without a cadence, once
    resolved, or while paused."""
    policy = selectors.sla_policy_for(severity_id=ticket.severity_id, queue_id=ticket.queue_id)
    if policy is None or policy.update_every is None or not _pending(ticket, Target.RESOLUTION):
        return
    ticket.next_update_due_at = at + policy.update_every
    Ticket.objects.filter(pk=ticket.pk).update(next_update_due_at=ticket.next_update_due_at)
    # The sweep looks no later than that (PostgreSQL's LEAST skips a NULL)
    moment = Value(ticket.next_update_due_at)
    TicketSlaState.objects.filter(ticket_id=ticket.pk).update(next_check_at=Least("next_check_at", moment))


def sla_rearm(*, ticket: Ticket) -> None:
    """After a change of status or an acknowledgement: the next sweep looks at the ticket again (a reopened
    ticket's clock runs again; an acknowledged one's response clock has stopped). One UPDATE, no read."""
    next_check = timezone.now() if ticket.is_open else None
    if not TicketSlaState.objects.filter(ticket_id=ticket.pk).update(next_check_at=next_check) and next_check:
        TicketSlaState.objects.create(ticket_id=ticket.pk, next_check_at=next_check)  # closed before states existed


def _record(ticket: Ticket, state: TicketSlaState, target: str, now: datetime, changes: Changes) -> str | None:
    """Record what is newly due for one target: a breach, else a warning. Returns the timeline kind recorded."""
    if not _pending(ticket, target) or _mark(state, target, "breached_at"):
        return None
    due = _due(ticket, target)
    warn_at = getattr(state, f"{target}_warn_at")
    if due <= now:
        kind, event, words = "breached", timeline.sla_breached, "breached"
    elif warn_at and warn_at <= now and not _mark(state, target, "warned_at"):
        kind, event, words = "warned", timeline.sla_warned, "breach approaching"
    else:
        return None
    setattr(state, f"{target}_{kind}_at", now)
    changes.event(event(ticket=ticket, target=target, due_at=due.isoformat()))
    # The queue's channels hear of breaches from notifications' reaction; of a warning only when nobody is
    # assigned, so that someone does.
    if ticket.assignee_id or kind == "warned":
        notify(
            ticket=ticket,
            reason=f"{Target(target).label} SLA {words}: due {timezone.localtime(due):%Y-%m-%d %H:%M %Z}",
            key=f"sla:{ticket.pk}:{target}:{kind}:{due.isoformat()}",  # the due time too: a new target is news again
            channels=() if ticket.assignee_id else None,
            users=[ticket.assignee] if ticket.assignee_id else (),
            link_path=ticket.get_absolute_url(),
        )
    return kind


def _remind(ticket: Ticket, state: TicketSlaState, now: datetime, changes: Changes) -> str | None:
    """When a public update is overdue: remind the assignee (else the queue's on-call and channels) once for this
    period, note it on the timeline, and owe the next one a period later. Returns "reminded", "stopped" (the policy
    has no cadence any more) or None (nothing due)."""
    due = ticket.next_update_due_at
    if due is None or due > now or not _pending(ticket, Target.RESOLUTION):
        return None
    period = state.policy.update_every if state.policy is not None else None
    if period is None:
        ticket.next_update_due_at = None
        return "stopped"
    if (assignee := ticket.assignee) is not None:  # no query when there is no assignee_id
        users, channels, reminded = [assignee], (), f"the assignee, {assignee.display_name}"
    else:
        primary = oncall_people(queue_id=ticket.queue_id, at=now, layer=1)
        person = primary[0][1] if primary else None
        users, channels = ([person] if person else []), None  # None: the queue's channels
        reminded = f"the on-call, {person.display_name}, and the queue's channels" if person else "the queue's channels"
    notify(
        ticket=ticket,
        reason=f"Update overdue: a public update was due {timezone.localtime(due):%Y-%m-%d %H:%M %Z}",
        key=f"update:{ticket.pk}:{due.isoformat()}",  # this period of this ticket, once
        channels=channels,
        users=users,
        link_path=ticket.get_absolute_url(),
    )
    changes.event(timeline.update_overdue(ticket=ticket, due_at=due.isoformat(), reminded=reminded))
    # The next period still ahead: a sweep that was down for hours reminds once, not once per missed period
    ticket.next_update_due_at = due + period * ((now - due) // period + 1)
    return "reminded"


def _sweep_batch(now: datetime, size: int) -> tuple[int, bool]:
    """One batch in one transaction, in a constant number of queries besides what each record writes.
    Returns what it recorded and whether more may be due."""
    with transaction.atomic():
        # skip_locked on both: the sweep never waits, so it cannot deadlock with a service holding a ticket
        states = list(
            TicketSlaState.objects.filter(next_check_at__lte=now)
            .select_related("policy__escalation_policy")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_check_at")[:size]
        )
        lockable = Ticket.objects.select_for_update(skip_locked=True, of=("self",)).select_related(
            "severity", "queue", "assignee"
        )
        tickets = lockable.in_bulk([s.ticket_id for s in states])
        checked = [s for s in states if s.ticket_id in tickets]  # the others are being changed: the next sweep
        recorded, changes, reminded = 0, Changes(), []
        for state in checked:
            ticket = tickets[state.ticket_id]
            kinds = {target: _record(ticket, state, target, now, changes) for target in Target.values}
            recorded += sum(kind is not None for kind in kinds.values())
            if update := _remind(ticket, state, now, changes):
                reminded.append(ticket)
                recorded += update == "reminded"
            breached = [Target(t).label for t, kind in kinds.items() if kind == "breached"]
            if breached and state.policy and state.policy.escalation_policy:
                reason = f"{' and '.join(breached)} SLA breached"
                escalation_start(ticket=ticket, policy=state.policy.escalation_policy, reason=reason)
            state.next_check_at = _next_check(ticket, state)
        TicketSlaState.objects.bulk_update(checked, [*_MARKS, "next_check_at"])
        if reminded:
            Ticket.objects.bulk_update(reminded, ["next_update_due_at"])
        dispatch(changes)  # the batch's warnings and breaches, once
    return recorded, len(states) == size and len(checked) == size


def sla_sweep(*, now: datetime | None = None, batch_size: int = SWEEP_BATCH) -> int:
    """Record the warnings, breaches and overdue updates now due, each once, and start the escalations breaches call
    for."""
    now = now or timezone.now()
    total, more = 0, True
    while more:
        recorded, more = _sweep_batch(now, batch_size)
        total += recorded
    return total
