"""The escalation reaction: SLA clocks start with a ticket, move with its severity or queue, stop when it closes."""

import pytest

from escalation.models import TicketSlaState
from escalation.reactions import sla_react
from tickets.models import Ticket
from tickets.reactions import Changes

from ..factories import TicketFactory, severity

pytestmark = pytest.mark.django_db


def test_a_filed_ticket_gets_its_clock():
    ticket = TicketFactory()  # through the service: the reaction ran
    assert TicketSlaState.objects.filter(ticket=ticket, next_check_at__isnull=False).exists()


def test_a_new_severity_moves_the_due_times():
    ticket = TicketFactory(severity=severity("SEV3"))
    ticket.severity = severity("SEV1")
    changes = Changes()
    changes.save(ticket, update_fields=["severity"])

    sla_react(changes)

    ticket.refresh_from_db()
    assert ticket.response_due_at == ticket.created_at + severity("SEV1").response_target


def test_a_closed_ticket_stops_its_clock():
    ticket = TicketFactory()
    ticket.status = Ticket.Status.CLOSED
    changes = Changes()
    changes.save(ticket, update_fields=["status"])

    sla_react(changes)

    assert TicketSlaState.objects.get(ticket=ticket).next_check_at is None


def test_other_saves_cost_nothing(django_assert_num_queries):
    ticket = TicketFactory()
    changes = Changes()
    changes.save(ticket, update_fields=["title"])
    with django_assert_num_queries(0):
        sla_react(changes)
