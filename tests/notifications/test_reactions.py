"""The notifications reaction: after the rules, so a new ticket's notice is written once, as the rules left it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Channel, Notification
from notifications.reactions import notices_react
from rules.models import Rule
from tickets import timeline
from tickets.models import TicketEvent
from tickets.reactions import Changes

from ..factories import QueueFactory, TicketFactory, severity
from .conftest import hears

pytestmark = pytest.mark.django_db


def test_a_routed_ticket_is_told_once_to_the_queue_the_rules_chose(queue):
    elsewhere = QueueFactory(name="Elsewhere")
    here = hears(Channel.objects.create(name="Here", kind=Channel.Kind.EMAIL, email_addresses="h@example.com"), queue)
    there = Channel.objects.create(name="There", kind=Channel.Kind.EMAIL, email_addresses="t@example.com")
    hears(there, elsewhere)
    Rule.objects.create(name="Route", set_queue=elsewhere)

    ticket = TicketFactory(queue=queue)

    rows = Notification.objects.filter(ticket=ticket, event="created")
    assert [row.channel for row in rows] == [there]
    assert not Notification.objects.filter(channel=here).exists()


def test_events_nobody_hears_about_cost_no_query(queue, django_assert_num_queries):
    ticket = TicketFactory(queue=queue)
    changes = Changes()
    changes.event(timeline.notified(ticket=ticket, channel="Ops", outcome="sent"))
    changes.event(timeline.watcher_added(ticket=ticket, actor=None, watcher="Ann"))
    with django_assert_num_queries(0):
        notices_react(changes)


def _created_events(tickets) -> Changes:
    changes = Changes()
    for event in TicketEvent.objects.filter(ticket__in=tickets, kind=TicketEvent.Kind.CREATED).select_related("ticket"):
        changes.event(event)
    return changes


@pytest.mark.parametrize("count", [3, 12])
def test_a_batch_of_new_tickets_asks_for_the_queue_channels_once(queue, count):
    # A poll files its tickets in one batch: the channels cost one query, not one per ticket
    hears(Channel.objects.create(name="Ops", kind=Channel.Kind.EMAIL, email_addresses="ops@example.com"), queue)
    tickets = TicketFactory.create_batch(count, queue=queue)
    Notification.objects.all().delete()
    changes = _created_events(tickets)
    with CaptureQueriesContext(connection) as queries:
        notices_react(changes)
    asked = [q["sql"] for q in queries if "notifications_queuechannel" in q["sql"]]  # before: one per ticket
    assert len(asked) == 1
    assert Notification.objects.filter(event="created").count() == count


def test_in_a_batch_each_ticket_meets_the_channel_threshold_on_its_own(queue):
    pager = hears(
        Channel.objects.create(name="Pager", kind=Channel.Kind.EMAIL, email_addresses="p@example.com"),
        queue,
        min_severity=severity("SEV2"),
    )
    grave, minor = TicketFactory(queue=queue, severity=severity("SEV1")), TicketFactory(queue=queue)
    Notification.objects.all().delete()
    notices_react(_created_events([grave, minor]))
    assert [(row.ticket, row.channel) for row in Notification.objects.filter(event="created")] == [(grave, pager)]
