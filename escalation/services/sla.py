"""SLA clocks: due times from the policy that applies, and the sweep that records warnings and breaches."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from notifications.services import notify
from tickets import timeline
from tickets.models import Ticket
from tickets.reactions import Changes, dispatch

from .. import selectors
from ..calendars import due_at
from ..models import Target, TicketSlaState
from .chains import escalation_start

SWEEP_BATCH = 200
_MARKS = [f"{target}_{mark}" for target in Target.values for mark in ("warned_at", "breached_at")]


def _mark(state: TicketSlaState, target: str, mark: str) -> datetime | None:
    return getattr(state, f"{target}_{mark}")


def _due(ticket: Ticket, target: str) -> datetime:
    return getattr(ticket, f"{target}_due_at")


def _pending(ticket: Ticket, target: str) -> bool:
    """Whether the target's clock still runs: acknowledgement stops the response clock, closing both."""
    return ticket.is_open and (target == Target.RESOLUTION or ticket.acknowledged_at is None)


def _next_check(ticket: Ticket, state: TicketSlaState) -> datetime | None:
    """The earliest warning or breach not yet recorded, or None when there is none left to record."""
    moments = []
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
    state, due_moved = _clock(ticket, None if created else TicketSlaState.objects.get_or_create(ticket=ticket)[0])
    if due_moved:
        # Due times are derived from the SLA policy, which the tickets app knows nothing of: written beside the
        # service's own save, in its transaction, with no timeline event (the change that moved them has one).
        Ticket.objects.filter(pk=ticket.pk).update(
            response_due_at=ticket.response_due_at, resolution_due_at=ticket.resolution_due_at
        )
    state.save(force_insert=created)


def sla_start(*, tickets: list[Ticket]) -> None:
    """``sla_apply`` for tickets just filed together: two statements for them all."""
    clocks = [_clock(ticket, None) for ticket in tickets]
    moved = [ticket for ticket, (_, due_moved) in zip(tickets, clocks, strict=True) if due_moved]
    Ticket.objects.bulk_update(moved, ["response_due_at", "resolution_due_at"])
    TicketSlaState.objects.bulk_create(state for state, _ in clocks)


def _clock(ticket: Ticket, state: TicketSlaState | None) -> tuple[TicketSlaState, bool]:
    """The ticket's due times (set on it) and its SLA state (a new one when None), not saved; and whether the due
    times moved."""
    policy = selectors.sla_policy_for(severity_id=ticket.severity_id, queue_id=ticket.queue_id)
    if policy is None:
        acknowledge, resolve, calendar = ticket.severity.response_target, ticket.severity.resolution_target, None
    else:
        acknowledge, resolve = policy.acknowledge_within, policy.resolve_within
        calendar = policy.calendar.working_week() if policy.calendar is not None else None
    start = ticket.created_at
    response_due, resolution_due = due_at(start, acknowledge, calendar), due_at(start, resolve, calendar)
    due_moved = (response_due, resolution_due) != (ticket.response_due_at, ticket.resolution_due_at)
    ticket.response_due_at, ticket.resolution_due_at = response_due, resolution_due

    def warn_at(within: timedelta) -> datetime | None:
        return due_at(start, within * policy.warn_at / 100, calendar) if policy else None

    state = state or TicketSlaState(ticket_id=ticket.pk)
    state.policy = policy
    state.response_warn_at, state.resolution_warn_at = warn_at(acknowledge), warn_at(resolve)
    now = timezone.now()
    for target in Target.values:
        # A warning or breach recorded stands while it is still true; new targets still ahead get their own.
        warn = getattr(state, f"{target}_warn_at")
        if warn is None or warn > now:
            setattr(state, f"{target}_warned_at", None)
        if _due(ticket, target) > now:
            setattr(state, f"{target}_breached_at", None)
    state.next_check_at = _next_check(ticket, state)
    return state, due_moved


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
        recorded, changes = 0, Changes()
        for state in checked:
            ticket = tickets[state.ticket_id]
            kinds = {target: _record(ticket, state, target, now, changes) for target in Target.values}
            recorded += sum(kind is not None for kind in kinds.values())
            breached = [Target(t).label for t, kind in kinds.items() if kind == "breached"]
            if breached and state.policy and state.policy.escalation_policy:
                reason = f"{' and '.join(breached)} SLA breached"
                escalation_start(ticket=ticket, policy=state.policy.escalation_policy, reason=reason)
            state.next_check_at = _next_check(ticket, state)
        TicketSlaState.objects.bulk_update(checked, [*_MARKS, "next_check_at"])
        dispatch(changes)  # the batch's warnings and breaches, once
    return recorded, len(states) == size and len(checked) == size


def sla_sweep(*, now: datetime | None = None, batch_size: int = SWEEP_BATCH) -> int:
    """Record the warnings and breaches now due, each once, and start the escalations breaches call for."""
    now = now or timezone.now()
    total, more = 0, True
    while more:
        recorded, more = _sweep_batch(now, batch_size)
        total += recorded
    return total
