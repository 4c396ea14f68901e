"""One function per timeline event. TicketEvent rows are only ever added, never changed."""

from django.utils import timezone

from .models import Comment, Ticket, TicketEvent

E = TicketEvent.Kind


def _add(ticket: Ticket, actor, kind: str, data: dict | None = None, **extra) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, data=data or {}, created_at=timezone.now(), **extra
    )


def ticket_created(*, ticket: Ticket, actor) -> TicketEvent:
    return _add(
        ticket,
        actor,
        E.CREATED,
        {"severity": ticket.severity.name, "queue": ticket.queue.name, "status": ticket.status},
    )


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
