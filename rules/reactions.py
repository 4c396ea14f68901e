"""The rules' reaction: a ticket filed, or what it is about changed (its fields, what AWS says of it), runs the
rules. First in settings.TICKET_REACTIONS, so everything after it (SLA clocks, notices, reviews) sees the ticket as
the rules left it.

The rules act through the ticket services, passing them this reaction's own `Changes`: those record instead of
dispatching, and the reaction returns them, so its changes go on to the reactions after it and never run the rules
again."""

from tickets.models import Ticket, TicketEvent
from tickets.reactions import Changes

from .models import Rule
from .services import rules_apply, rules_apply_created

E = TicketEvent.Kind
# What counts as a change for rules: what the ticket is about, not conversation or workflow
CHANGES = frozenset({E.FIELD_CHANGED, E.AWS_UPDATED})


def rules_react(changes: Changes) -> Changes:
    own = Changes()
    rules_apply_created(tickets=changes.filed, record=own)
    filed = {ticket.pk for ticket in changes.filed}
    changed: dict[int, Ticket] = {}
    for event in changes.events:
        if event.kind in CHANGES and event.ticket_id not in filed:
            changed.setdefault(event.ticket_id, event.ticket)
    for ticket in changed.values():  # once per ticket, however many of its fields changed
        rules_apply(ticket=ticket, trigger=Rule.Trigger.CHANGED, record=own)
    return own
