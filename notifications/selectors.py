"""Reads: who hears about a ticket. Each is one query, whatever the number of channels or people."""

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from tickets.models import Ticket, Watch

from .models import Channel, Notification, QueueChannel


def queue_channels(tickets: Iterable[Ticket]) -> dict[int, list[Channel]]:
    """Each ticket's enabled queue channels whose severity threshold it meets (rank 1 is the worst), by ticket id.

    One query for any number of tickets: a poll that files fifty tickets asks once, not fifty times."""
    tickets = list(tickets)
    if not tickets:
        return {}
    links = QueueChannel.objects.filter(queue_id__in={t.queue_id for t in tickets}, channel__enabled=True)
    by_queue: dict[int, list[QueueChannel]] = defaultdict(list)
    for link in links.select_related("channel", "min_severity"):
        by_queue[link.queue_id].append(link)
    return {
        ticket.pk: [
            link.channel
            for link in by_queue[ticket.queue_id]
            if link.min_severity is None or link.min_severity.rank >= ticket.severity.rank
        ]
        for ticket in tickets
    }


def ticket_followers(ticket: Ticket, *, actor_id: int | None) -> QuerySet:
    """The requester and the watchers, less whoever made the change: they know already."""
    watching = Exists(Watch.objects.filter(ticket_id=ticket.pk, user_id=OuterRef("pk")))
    people = get_user_model().objects.filter(Q(pk=ticket.requester_id) | watching, is_active=True)
    return people.exclude(pk=actor_id) if actor_id else people


def dead_notification_count() -> int:
    """Notifications given up after a day of failures, waiting for an admin to replay them (the status index)."""
    return Notification.objects.filter(status=Notification.Status.DEAD).count()
