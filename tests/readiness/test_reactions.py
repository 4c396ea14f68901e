"""The readiness reaction: only a status change that leaves the ticket done matters."""

import pytest

from readiness.reactions import reviews_react
from tickets import services as ticket_services
from tickets.reactions import Changes

from ..factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_an_open_ticket_and_other_events_cost_no_query(agent, queue, django_assert_num_queries):
    ticket = TicketFactory(queue=queue)
    changes = Changes()
    ticket_services.comment_add(ticket=ticket, author=agent, body="Looking.", record=changes)
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action="acknowledge", record=changes)
    assert "status_changed" in [e.kind for e in changes.events]
    with django_assert_num_queries(0):
        reviews_react(changes)
