"""The readiness reaction: the two ticket moments reviews care about, read off the status changes: a major incident
done with, and an action item closed.

Other kinds of event, and tickets still open, return before any query."""

from supportdesk.commit import after_commit_robust
from tickets.models import TicketEvent
from tickets.reactions import Changes

from . import services
from .models import ReviewAction
from .tasks import post_incident_review_task


def reviews_react(changes: Changes) -> None:
    for event in changes.events:
        if event.kind == TicketEvent.Kind.STATUS_CHANGED:
            ticket_status_changed(event)


def ticket_status_changed(event: TicketEvent) -> None:
    ticket = event.ticket  # as the change left it
    if ticket.is_open:
        return  # only resolutions and closures matter here
    review_id = ReviewAction.objects.filter(ticket_id=ticket.pk).values_list("review_id", flat=True).first()
    if review_id is not None:  # in this transaction: the review completes with its last item, or not at all
        services.review_complete_if_done(review_id=review_id)
    elif services.incident_needs_review(ticket):
        # After commit: a rolled-back resolution opens nothing. Robust: a broker outage must not undo the
        # resolution; the daily sweep opens what a lost message missed.
        after_commit_robust(post_incident_review_task.delay, ticket.pk)
