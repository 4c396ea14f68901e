"""The escalation reaction: SLA clocks follow the ticket (and pause while it waits), a public update by the team
resets the update cadence, and a chain stops when the ticket is acknowledged or done.

The clocks follow the saves, not the timeline events: a change of severity is recorded before ticket_update applies
the severity's 24x7 due times and saves, and the columns each save wrote say what changed. The update cadence follows
the comment events (a comment saves only updated_at)."""

from tickets import policies
from tickets.models import Ticket, TicketEvent
from tickets.reactions import Changes

from . import services

MOVES_DUE_TIMES = frozenset({"severity", "queue"})
STOPS_CLOCKS = frozenset({"status", "acknowledged_at"})


def sla_react(changes: Changes) -> None:
    if changes.filed:
        services.sla_start(tickets=changes.filed)  # two statements for a batch of new tickets
    for saved in changes.saves:
        ticket_saved(ticket=saved.ticket, fields=saved.fields)
    for event in changes.events:
        if _is_public_update(event):
            services.sla_update_posted(ticket=event.ticket, at=event.created_at)


def _is_public_update(event: TicketEvent) -> bool:
    """A public comment by someone who works the ticket resets the update cadence. Not an internal note: the
    cadence is about keeping the requester and the stakeholders told, and a note tells them nothing."""
    if event.kind != TicketEvent.Kind.COMMENTED or event.is_internal or event.actor is None:
        return False
    return event.actor_id != event.ticket.requester_id and policies.may_work(event.actor, event.ticket)


def ticket_saved(*, ticket: Ticket, fields: frozenset[str]) -> None:
    if fields & MOVES_DUE_TIMES:
        services.sla_apply(ticket=ticket, created=False)
    if not fields & STOPS_CLOCKS:
        return
    if "status" in fields:
        services.sla_follow_status(ticket=ticket)  # pauses and resumes, the update cadence, the sweep armed
    else:
        services.sla_rearm(ticket=ticket)
    if not ticket.is_open:
        services.escalation_stop(ticket=ticket, reason=f"{ticket.get_status_display()}.")
    elif "acknowledged_at" in fields and ticket.acknowledged_at is not None:
        services.escalation_stop(ticket=ticket, reason="Acknowledged.")
