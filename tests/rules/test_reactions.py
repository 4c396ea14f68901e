"""The rules' reaction: a filed ticket or a change of what it is about runs the rules, whose own changes go on to
the later reactions and never run the rules again."""

import pytest

from rules.models import Rule
from rules.reactions import rules_react
from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent
from tickets.reactions import Changes

from ..factories import QueueFactory, TicketFactory, severity

pytestmark = pytest.mark.django_db


def _applied(ticket) -> int:
    return TicketEvent.objects.filter(ticket=ticket, kind="rule_applied").count()


def test_a_filed_ticket_runs_the_created_rules_and_returns_what_they_changed():
    ticket = TicketFactory(severity=severity("SEV3"))
    Rule.objects.create(name="Everything is urgent", set_severity=severity("SEV1"))
    filed = Changes()
    filed.file([ticket])

    own = rules_react(filed)

    assert {"severity"} <= own.saves[0].fields
    assert [e.kind for e in own.events] == ["field_changed", "rule_applied"]
    assert own.as_left(ticket.pk).severity.name == "SEV1"
    assert Ticket.objects.get(pk=ticket.pk).severity.name == "SEV1"


def test_a_rules_own_change_does_not_run_the_rules_again(agent):
    # given: a rule on every change that changes the ticket itself
    other = QueueFactory(name="Elsewhere", members=[agent])
    queue = QueueFactory(members=[agent])
    ticket = TicketFactory(queue=queue)
    Rule.objects.create(name="Route", trigger=Rule.Trigger.CHANGED, set_queue=other)
    Rule.objects.create(name="Back", trigger=Rule.Trigger.CHANGED, set_queue=queue, position=200, stop_after=True)
    # when: a person changes the title
    ticket_services.ticket_update(ticket=ticket, actor=agent, title="Checkout is slow")
    # then: the rules ran once, in order; their changes of queue did not run them again
    assert _applied(ticket) == 2
    assert Ticket.objects.get(pk=ticket.pk).queue == queue


def test_conversation_and_workflow_do_not_run_the_rules(agent):
    ticket = TicketFactory(queue=QueueFactory(members=[agent]))
    Rule.objects.create(name="Any change", trigger=Rule.Trigger.CHANGED, set_severity=severity("SEV1"))

    ticket_services.comment_add(ticket=ticket, author=agent, body="Looking.")
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action="acknowledge")

    assert _applied(ticket) == 0
