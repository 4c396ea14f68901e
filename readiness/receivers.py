"""The two ticket moments reviews care about, read off the timeline (every status change is one TicketEvent,
saved inside the change's transaction): a major incident done with, and an action item closed.

This runs inside every ticket change: other kinds of event, and tickets still open, return before any query."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from supportdesk.commit import after_commit_robust
from tickets.models import TicketEvent

from . import services
from .models import ReviewAction
from .tasks import post_incident_review_task


@receiver(post_save, sender=TicketEvent, dispatch_uid="readiness.ticket_event")
def ticket_status_changed(sender, instance: TicketEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw or instance.kind != TicketEvent.Kind.STATUS_CHANGED:
        return
    ticket = instance.ticket  # as this change left it
    if ticket.is_open:
        return  # only resolutions and closures matter here
    review_id = ReviewAction.objects.filter(ticket_id=ticket.pk).values_list("review_id", flat=True).first()
    if review_id is not None:  # in this transaction: the review completes with its last item, or not at all
        services.review_complete_if_done(review_id=review_id)
    elif services.incident_needs_review(ticket):
        # After commit: a rolled-back resolution opens nothing. Robust: a broker outage must not undo the
        # resolution; the daily sweep opens what a lost message missed.
        after_commit_robust(post_incident_review_task.delay, ticket.pk)
