"""One function per timeline event. TicketEvent rows are only ever added, never changed."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

from .models import Comment, Ticket, TicketEvent

E = TicketEvent.Kind
_via: ContextVar[str] = ContextVar("timeline_via", default="")


@contextmanager
def via(door: str) -> Iterator[None]:
    """Inside the block, what people do is recorded as done from elsewhere than the portal (``"slack"``): their
    events carry ``"via"`` in their data, and the ticket page says "from Slack". The system's events do not."""
    token = _via.set(door)
    try:
        yield
    finally:
        _via.reset(token)


def _door(actor) -> dict[str, str]:
    door = _via.get()
    return {"via": door} if door and actor is not None else {}


def _add(ticket: Ticket, actor, kind: str, data: dict | None = None, **extra) -> TicketEvent:
    data = {**(data or {}), **_door(actor)}
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, data=data, created_at=timezone.now(), **extra
    )


def tickets_created(*, tickets: list[Ticket], actor) -> list[TicketEvent]:
    """One INSERT for them all; the filing service hands the events to the reactions."""
    events = [
        TicketEvent(
            ticket=ticket,
            actor=actor or ticket.requester,
            kind=E.CREATED,
            data={
                "severity": ticket.severity.name,
                "queue": ticket.queue.name,
                "status": ticket.status,
                **_door(actor or ticket.requester),
            },
            created_at=ticket.created_at,
        )
        for ticket in tickets
    ]
    TicketEvent.objects.bulk_create(events)
    return events


def field_changed(*, ticket: Ticket, actor, field: str, label: str, before: str, after: str) -> TicketEvent:
    return _add(ticket, actor, E.FIELD_CHANGED, {"field": field, "label": label, "before": before, "after": after})


def status_changed(*, ticket: Ticket, actor, before: str, after: str, note: str = "") -> TicketEvent:
    return _add(ticket, actor, E.STATUS_CHANGED, {"before": before, "after": after, "note": note})


def assigned(*, ticket: Ticket, actor, before: str, after: str) -> TicketEvent:
    return _add(ticket, actor, E.ASSIGNED, {"before": before, "after": after})


def commented(*, ticket: Ticket, comment: Comment) -> TicketEvent:
    return _add(ticket, comment.author, E.COMMENTED, comment=comment, is_internal=comment.is_internal)


def escalated(*, ticket: Ticket, actor, level: int, reason: str, to: str) -> TicketEvent:
    return _add(ticket, actor, E.ESCALATED, {"level": level, "reason": reason, "to": to})


def watcher_added(*, ticket: Ticket, actor, watcher: str) -> TicketEvent:
    return _add(ticket, actor, E.WATCHER_ADDED, {"watcher": watcher})


def watcher_removed(*, ticket: Ticket, actor, watcher: str) -> TicketEvent:
    return _add(ticket, actor, E.WATCHER_REMOVED, {"watcher": watcher})


def aws_updated(*, ticket: Ticket, source: str, summary: str, lines: list[str]) -> TicketEvent:
    return _add(ticket, None, E.AWS_UPDATED, {"source": source, "summary": summary, "lines": lines})


def notified(*, ticket: Ticket, channel: str, outcome: str, detail: str = "") -> TicketEvent:
    """A delivery attempt: channel says where (an SNS topic, an email address, a webhook), outcome how it went."""
    # Internal: where notices go (topics, addresses) is the support team's business, not the requester's
    return _add(ticket, None, E.NOTIFIED, {"channel": channel, "outcome": outcome, "detail": detail}, is_internal=True)


def rule_applied(*, ticket: Ticket, rule: str, actions: list[str]) -> TicketEvent:
    return _add(ticket, None, E.RULE_APPLIED, {"rule": rule, "actions": actions}, is_internal=True)


def sla_warned(*, ticket: Ticket, target: str, due_at: str) -> TicketEvent:
    """target: "response" or "resolution"."""
    return _add(ticket, None, E.SLA_WARNED, {"target": target, "due_at": due_at}, is_internal=True)


def sla_breached(*, ticket: Ticket, target: str, due_at: str) -> TicketEvent:
    return _add(ticket, None, E.SLA_BREACHED, {"target": target, "due_at": due_at}, is_internal=True)


def sla_resumed(*, ticket: Ticket, waited_on: str, paused_seconds: int, resolution_due_at: str) -> TicketEvent:
    """The SLA clocks ran again after a wait (waited_on: the status label); the due times moved by the pause."""
    data = {"waited_on": waited_on, "paused_seconds": paused_seconds, "resolution_due_at": resolution_due_at}
    return _add(ticket, None, E.SLA_RESUMED, data, is_internal=True)


def update_overdue(*, ticket: Ticket, due_at: str, reminded: str) -> TicketEvent:
    """A public update was due and none came: reminded says whom the reminder went to."""
    return _add(ticket, None, E.UPDATE_OVERDUE, {"due_at": due_at, "reminded": reminded}, is_internal=True)


def aws_case(*, ticket: Ticket, actor, summary: str, case_id: str = "", lines: list[str] | None = None) -> TicketEvent:
    """An AWS Support case opened, refused, updated by AWS, or resolved; lines carry AWS's words."""
    return _add(ticket, actor, E.AWS_CASE, {"summary": summary, "case_id": case_id, "lines": lines or []})
