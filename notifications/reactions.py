"""The notifications reaction: what people hear without configuring anything. It runs inside the change's
transaction, after the rules (settings.TICKET_REACTIONS), so the notices commit with the change and tell the ticket
as the rules left it (severity, queue, a hold on its notices), once.

Kinds nobody hears about return before any query, and the others cost a constant few. (A delivery attempt's
``notified`` event is no change of the ticket's and reaches no reaction: it never causes another.)"""

from collections.abc import Callable

from tickets.models import Ticket, TicketEvent
from tickets.reactions import Changes

from . import selectors
from .services import slack_cards_refresh_soon, ticket_notify

E = TicketEvent.Kind
CARD_SHOWS = frozenset({"status", "assignee", "severity", "queue", "title", "acknowledged_at", "resolved_at"})
FOLLOWERS_HEAR = frozenset({Ticket.Status.RESOLVED, Ticket.Status.WAITING_REQUESTER})


def _by(event: TicketEvent) -> str:
    return f" by {event.actor.display_name}" if event.actor is not None else ""


def _tell(event: TicketEvent, reason: str, *, channels=(), users=(), details: str = "") -> None:
    ticket_notify(
        ticket=event.ticket,
        event=event.kind,
        reason=reason,
        key=f"event:{event.pk}",
        channels=channels,
        users=users,
        details=details,
    )


def _assignee_unless_actor(event: TicketEvent) -> list:
    ticket = event.ticket
    return [ticket.assignee] if ticket.assignee_id and ticket.assignee_id != event.actor_id else []


def _created(event: TicketEvent, queue: list) -> None:
    ticket = event.ticket
    _tell(event, "New ticket", channels=queue, users=_assignee_unless_actor(event), details=ticket.description)


def _assigned(event: TicketEvent, queue: list) -> None:
    if assignee := _assignee_unless_actor(event):
        _tell(event, f"Assigned to you{_by(event)}", users=assignee)


def _commented(event: TicketEvent, queue: list) -> None:
    if event.is_internal:
        return  # internal notes stay on the timeline: requesters must never get them
    followers = selectors.ticket_followers(event.ticket, actor_id=event.actor_id)
    assert event.comment is not None  # a comment event links its comment
    _tell(event, f"New comment{_by(event)}", users=followers, details=event.comment.body)


def _status_changed(event: TicketEvent, queue: list) -> None:
    if event.ticket.status in FOLLOWERS_HEAR:  # the ticket as this change left it
        followers = selectors.ticket_followers(event.ticket, actor_id=event.actor_id)
        _tell(event, f"{event.data['after']}{_by(event)}", users=followers, details=event.data.get("note", ""))


def _escalated(event: TicketEvent, queue: list) -> None:
    to = f" to {event.data['to']}" if event.data.get("to") else ""
    _tell(event, f"Escalated{to} (level {event.data['level']})", channels=queue, details=event.data.get("reason", ""))


def _sla_breached(event: TicketEvent, queue: list) -> None:
    _tell(event, f"SLA breached: {event.data['target']} was due {event.data['due_at']}", channels=queue)


def _aws_case(event: TicketEvent, queue: list) -> None:
    case = f" {event.data['case_id']}" if event.data.get("case_id") else ""
    _tell(
        event,
        f"AWS Support case{case}: {event.data['summary']}",
        channels=queue,
        details="\n".join(event.data.get("lines", [])),
    )


# Each is handed the ticket's queue channels (an empty list for the kinds the queue does not hear)
BASELINE: dict[str, Callable[[TicketEvent, list], None]] = {
    E.CREATED: _created,
    E.ASSIGNED: _assigned,
    E.COMMENTED: _commented,
    E.STATUS_CHANGED: _status_changed,
    E.ESCALATED: _escalated,
    E.SLA_BREACHED: _sla_breached,
    E.AWS_CASE: _aws_case,
}


QUEUE_HEARS = frozenset({E.CREATED, E.ESCALATED, E.SLA_BREACHED, E.AWS_CASE})  # QueueChannel's help text


def notices_react(changes: Changes) -> None:
    told = [event for event in changes.events if event.kind in BASELINE]
    # The queue channels of every ticket told, in one query: a poll's batch of fifty new tickets asks once
    queues = selectors.queue_channels(event.ticket for event in told if event.kind in QUEUE_HEARS)
    for event in told:
        BASELINE[event.kind](event, queues.get(event.ticket.pk, []))


def cards_react(changes: Changes) -> None:
    """A change the Slack cards show redraws them after the commit, without anyone clicking (an acknowledgement by
    SMS or in the portal takes the Acknowledge button away). No query here: the cards are looked up after commit."""
    slack_cards_refresh_soon(ticket_ids=[saved.ticket.pk for saved in changes.saves if saved.fields & CARD_SHOWS])
