"""The escalation reaction: SLA clocks follow the ticket, and a chain stops when the ticket is acknowledged or done.

On the saves, not the timeline events: a change of severity is recorded before ticket_update applies the severity's
24x7 due times and saves, and the columns each save wrote say what changed."""

from tickets.models import Ticket
from tickets.reactions import Changes

from . import services

MOVES_DUE_TIMES = frozenset({"severity", "queue"})
STOPS_CLOCKS = frozenset({"status", "acknowledged_at"})


def sla_react(changes: Changes) -> None:
    if changes.filed:
        services.sla_start(tickets=changes.filed)  # two statements for a batch of new tickets
    for saved in changes.saves:
        ticket_saved(ticket=saved.ticket, fields=saved.fields)


def ticket_saved(*, ticket: Ticket, fields: frozenset[str]) -> None:
    if fields & MOVES_DUE_TIMES:
        services.sla_apply(ticket=ticket, created=False)
    if not fields & STOPS_CLOCKS:
        return
    services.sla_rearm(ticket=ticket)
    if not ticket.is_open:
        services.escalation_stop(ticket=ticket, reason=f"{ticket.get_status_display()}.")
    elif "acknowledged_at" in fields and ticket.acknowledged_at is not None:
        services.escalation_stop(ticket=ticket, reason="Acknowledged.")
