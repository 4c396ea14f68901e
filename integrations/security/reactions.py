"""The ticket reaction of Security Hub findings: an agent resolving a finding's ticket marks the finding RESOLVED in
Security Hub, where the account allows it. Resolutions that follow AWS (no actor), other kinds of ticket and other
events return before any query."""

from collections import defaultdict

from supportdesk.commit import after_commit_robust
from tickets.models import Ticket, TicketEvent
from tickets.reactions import Changes

from . import services
from .tasks import security_finding_write_back_task

_DONE = frozenset({Ticket.Status.RESOLVED, Ticket.Status.CLOSED})
_DONE_LABELS = frozenset(status.label for status in _DONE)  # the timeline says statuses as people read them


def write_back_react(changes: Changes) -> None:
    by_person: dict[str, list[Ticket]] = defaultdict(list)
    for event in changes.events:
        if event.kind != TicketEvent.Kind.STATUS_CHANGED or event.actor is None:
            continue
        if event.ticket.kind != Ticket.Kind.AWS_FINDING:
            continue  # most resolutions: no query
        if event.ticket.status in _DONE and event.data.get("before") not in _DONE_LABELS:
            by_person[event.actor.display_name].append(event.ticket)
    for person, tickets in by_person.items():
        for finding_id in services.write_backs_due(tickets=tickets, by=person):
            # After the commit (a rolled-back resolution asks nothing); robust: a broker outage must not undo the
            # resolution, the row stays due and the sweep queues it
            after_commit_robust(security_finding_write_back_task.delay, finding_id)
