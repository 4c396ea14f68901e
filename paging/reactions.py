"""The paging reaction: a ticket acknowledged or done stops its pages at once, however it was acknowledged (the
portal, the API, Slack, a one-tap link), so no SMS or call goes out after someone has taken it."""

from tickets.reactions import Changes

from . import services
from .services.pages import VIA_LABELS

STOPS_PAGES = frozenset({"status", "acknowledged_at"})


def pages_react(changes: Changes) -> None:
    for saved in changes.saves:
        ticket = saved.ticket
        if not saved.fields & STOPS_PAGES or (ticket.is_open and ticket.acknowledged_at is None):
            continue
        done = "Acknowledged" if ticket.is_open else ticket.get_status_display()
        # the person's event says who and from where; its actor is the user the service was given (no query)
        event = next((e for e in changes.events if e.ticket_id == ticket.pk and e.actor is not None), None)
        if event is not None and event.actor is not None:
            via = event.data.get("via")
            done += f" by {event.actor.display_name}" + (f" from {VIA_LABELS.get(via, via)}" if via else "")
        services.pages_stop(ticket=ticket, reason=f"{done}.")
