"""/supportdesk who | file <title> | ack SD-123 | help, answered to the person only."""

import pytest
import time_machine
from django.utils import timezone

from accounts.roles import Role
from tickets.models import Ticket, TicketEvent

from ..factories import QueueFactory, TicketFactory, UserFactory
from ..oncall.helpers import oncall_layer

pytestmark = pytest.mark.django_db


def _said(response) -> str:
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    return body["text"]


@pytest.mark.parametrize("text", ["", "help", "HELP"])
def test_help(in_slack, text):
    said = _said(in_slack.command(text, "anyone@example.com"))
    assert "`who`" in said and "`file <title>`" in said and "`ack SD-123`" in said
    assert in_slack.fake.calls == []  # help needs nobody looked up


def test_an_unknown_command_says_so_and_helps(in_slack):
    said = _said(in_slack.command("deploy prod", "anyone@example.com"))
    assert said.startswith("“deploy” is not a Supportdesk command.")


def _rotation(queue, *people, start):
    layer = oncall_layer(queue, "Primary", *people, start=start)
    layer.handoff_weekday = start.weekday()  # weekly, from yesterday
    layer.save(update_fields=["handoff_weekday"])


@pytest.mark.parametrize("queues", [2, 8])
def test_who_is_on_call_per_queue_in_constant_queries(in_slack, agent, queues, django_assert_max_num_queries):
    with time_machine.travel(timezone.now(), tick=False):
        yesterday = timezone.localdate() - timezone.timedelta(days=1)  # the shift began then, at 09:00
        colleague = UserFactory(role=Role.AGENT, first_name="Jo", last_name="Lind")
        for n in range(queues):
            _rotation(QueueFactory(name=f"Team {n:02d}", members=[agent]), agent, colleague, start=yesterday)
        QueueFactory(name="No rotation")
        in_slack.command("help", agent.email)
        in_slack.command("who", agent.email)  # who they are, remembered
        with django_assert_max_num_queries(12):
            said = _said(in_slack.command("who", agent.email))
    assert said.startswith("*On call now*")
    assert said.count(f": {agent.display_name}, then Jo Lind from ") == queues
    assert "No rotation" not in said


def test_who_is_for_staff(in_slack, requester):
    assert _said(in_slack.command("who", requester.email)) == "Who is on call is for support staff."


def test_file_a_ticket(in_slack, requester):
    said = _said(in_slack.command("file   VPN drops   every hour", requester.email))
    ticket = Ticket.objects.get(title="VPN drops every hour")
    assert (ticket.requester, ticket.severity.name) == (requester, "SEV4")
    assert said.startswith("Filed <http://") and ticket.reference in said
    created = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.CREATED)
    assert created.data["via"] == "slack"


def test_file_needs_a_title_and_says_what_is_wrong(in_slack, requester):
    assert _said(in_slack.command("file", requester.email)) == "Say what it is about: /supportdesk file <title>."
    said = _said(in_slack.command("file " + "x" * 300, requester.email))
    assert "200 characters" in said
    assert not Ticket.objects.exists()


def test_a_retried_file_command_files_once(in_slack, requester):
    path, form = in_slack.fake.command_request(text="file Printer on fire", email=requester.email)
    in_slack.post(path, form)
    retried = in_slack.post(path, form, headers={"X-Slack-Retry-Num": "1"})
    assert retried.status_code == 200
    assert Ticket.objects.filter(title="Printer on fire").count() == 1


def test_ack(in_slack, agent):
    ticket = TicketFactory(queue=QueueFactory(members=[agent]))
    said = _said(in_slack.command(f"ack {ticket.reference.lower()} looking now", agent.email))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ACKNOWLEDGED
    assert said.startswith("Acknowledged <") and ticket.reference in said


def test_ack_refusals(in_slack, agent, requester):
    mine = TicketFactory(requester=requester)
    hidden = TicketFactory()
    assert _said(in_slack.command("ack", agent.email)) == "Which ticket? /supportdesk ack SD-123"
    assert _said(in_slack.command(f"ack {hidden.reference}", agent.email)) == f"{hidden.reference} was not found."
    assert _said(in_slack.command(f"ack {mine.reference}", requester.email)) == "You may not acknowledge this ticket."
    assert _said(in_slack.command("ack nonsense", agent.email)) == "NONSENSE was not found."


def test_a_command_from_slack_while_slack_cannot_say_who_it_is(in_slack):
    in_slack.fake.fail_next.append((503, "service_unavailable"))
    said = _said(in_slack.command("who", "anyone@example.com"))
    assert said == "Slack could not say who you are just now; try again in a minute."
