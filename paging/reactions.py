"""The paging reaction: a ticket acknowledged or done stops its pages at once, however it was acknowledged (the
portal, the API, Slack, a one-tap link), so no SMS or call goes out after someone has taken it."""

from tickets.reactions import Changes

from . import services

STOPS_PAGES = frozenset({"status", "acknowledged_at"})


def pages_react(changes: Changes) -> None:
    for saved in changes.saves:
        ticket = saved.ticket
        if not saved.fields & STOPS_PAGES or (ticket.is_open and ticket.acknowledged_at is None):
            continue
        done = "Acknowledged" if ticket.is_open else ticket.get_status_display()
        # the events' actors are the people the service was given: no query
        actor = next((e.actor for e in changes.events if e.ticket_id == ticket.pk and e.actor_id), None)
        services.pages_stop(ticket=ticket, reason=f"{done} by {actor.display_name}." if actor else f"{done}.")
