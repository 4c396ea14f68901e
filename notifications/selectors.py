"""Reads: who hears about a ticket. Each is one query, whatever the number of channels or people."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from tickets.models import Ticket, Watch

from .models import Channel, Notification


def queue_channels(ticket: Ticket) -> QuerySet[Channel]:
    """The enabled channels of the ticket's queue whose severity threshold the ticket meets (rank 1 is the worst)."""
    return Channel.objects.filter(
        Q(queue_links__min_severity__isnull=True) | Q(queue_links__min_severity__rank__gte=ticket.severity.rank),
        queue_links__queue_id=ticket.queue_id,
        enabled=True,
    )


def ticket_followers(ticket: Ticket, *, actor_id: int | None) -> QuerySet:
    """The requester and the watchers, less whoever made the change: they know already."""
    watching = Exists(Watch.objects.filter(ticket_id=ticket.pk, user_id=OuterRef("pk")))
    people = get_user_model().objects.filter(Q(pk=ticket.requester_id) | watching, is_active=True)
    return people.exclude(pk=actor_id) if actor_id else people


def dead_notification_count() -> int:
    """Notifications given up after a day of failures, waiting for an admin to replay them (the status index)."""
    return Notification.objects.filter(status=Notification.Status.DEAD).count()
