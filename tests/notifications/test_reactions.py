"""The notifications reaction: after the rules, so a new ticket's notice is written once, as the rules left it."""

import pytest

from notifications.models import Channel, Notification
from notifications.reactions import notices_react
from rules.models import Rule
from tickets import timeline
from tickets.reactions import Changes

from ..factories import QueueFactory, TicketFactory
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
