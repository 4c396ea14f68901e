"""The buttons on a ticket's Slack card: each acts as the person behind the Slack user, through the ticket services
and their policies, and the card is redrawn to show the ticket as it now is."""

import pytest
from django.utils import timezone

from accounts.roles import Role
from chat.models import SlackUser
from notifications.models import Channel, Notification, SlackCard
from notifications.services import notification_deliver, notify
from tickets.models import Ticket, TicketEvent, Watch
from tools.sandbox.slack import DEFAULT_CHANNEL

from ..factories import QueueFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Ticket.Status


@pytest.fixture
def ticket(agent):
    return TicketFactory(queue=QueueFactory(members=[agent]))


def test_acknowledge_from_slack(in_slack, agent, ticket):
    ts = in_slack.card(ticket)
    assert in_slack.buttons(ts) == ["Acknowledge", "Resolve", "Escalate", "Assign to me", "Open in Supportdesk"]

    response = in_slack.click(ts, "acknowledge", agent.email)

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.acknowledged_at is not None) == (S.ACKNOWLEDGED, agent, True)
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.STATUS_CHANGED)
    assert (event.actor, event.data["after"], event.data["via"]) == (agent, "Acknowledged", "slack")
    # the card now offers what is left to do, and says who did what
    assert in_slack.buttons(ts) == ["Resolve", "Escalate", "Assign to me", "Open in Supportdesk"]
    [message] = [m for m in in_slack.fake.messages if m.ts == ts]
    assert f"Acknowledged by {agent.display_name} from Slack" in message.text
    assert "Acknowledged" in str(message.attachments)


def test_the_ticket_page_says_it_was_acknowledged_from_slack(in_slack, client, agent, ticket):
    in_slack.click(in_slack.card(ticket), "acknowledge", agent.email)
    client.force_login(agent)
    page = client.get(ticket.get_absolute_url())
    assert "from Slack" in page.content.decode()


@pytest.mark.parametrize(
    ("action", "status", "buttons_left"),
    [
        ("resolve", S.RESOLVED, ["Open in Supportdesk"]),
        ("escalate", S.NEW, ["Acknowledge", "Resolve", "Escalate", "Assign to me", "Open in Supportdesk"]),
        ("assign_me", S.NEW, ["Acknowledge", "Resolve", "Escalate", "Assign to me", "Open in Supportdesk"]),
    ],
)
def test_the_other_buttons(in_slack, agent, ticket, action, status, buttons_left):
    ts = in_slack.card(ticket)
    in_slack.click(ts, action, agent.email)
    ticket.refresh_from_db()
    assert ticket.status == status
    assert in_slack.buttons(ts) == buttons_left
    events = TicketEvent.objects.filter(ticket=ticket, data__via="slack")
    assert events.exists()
    if action == "resolve":
        assert events.get(kind=TicketEvent.Kind.STATUS_CHANGED).data["note"] == "Resolved from Slack."
    if action == "escalate":
        assert ticket.escalation_level == 1
    if action == "assign_me":
        assert ticket.assignee == agent


def test_a_requester_in_slack_cannot_acknowledge(in_slack, ticket):
    ts = in_slack.card(ticket)
    in_slack.click(ts, "acknowledge", ticket.requester.email)  # they see their ticket, but do not work it
    ticket.refresh_from_db()
    assert ticket.status == S.NEW
    assert in_slack.told(ticket.requester.email) == ["You may not acknowledge this ticket."]


def test_a_ticket_they_may_not_see_is_not_found(in_slack, ticket):
    outsider = UserFactory(role=Role.AGENT)  # an agent of another queue
    in_slack.click(in_slack.card(ticket), "resolve", outsider.email)
    ticket.refresh_from_db()
    assert ticket.status == S.NEW
    assert in_slack.told(outsider.email) == [f"{ticket.reference} was not found."]


def test_a_slack_user_who_is_nobody_in_the_portal_is_told_politely(in_slack, ticket):
    in_slack.click(in_slack.card(ticket), "acknowledge", "stranger@elsewhere.example")
    [said] = in_slack.told("stranger@elsewhere.example")
    assert "stranger@elsewhere.example" in said and "matches no Supportdesk user" in said
    assert SlackUser.objects.get(email="stranger@elsewhere.example").user is None


def test_who_a_slack_user_is_is_asked_once_a_day(in_slack, agent, ticket):
    ts = in_slack.card(ticket)
    in_slack.click(ts, "assign_me", agent.email)
    in_slack.click(ts, "acknowledge", agent.email)
    assert [method for method, _ in in_slack.fake.calls].count("users.info") == 1
    SlackUser.objects.update(checked_at=timezone.now() - timezone.timedelta(days=2))
    in_slack.click(ts, "escalate", agent.email)
    assert [method for method, _ in in_slack.fake.calls].count("users.info") == 2


def test_an_inactive_portal_user_may_not_act(in_slack, agent, ticket):
    ts = in_slack.card(ticket)
    in_slack.click(ts, "assign_me", agent.email)
    agent.is_active = False
    agent.save()
    in_slack.click(ts, "acknowledge", agent.email)
    ticket.refresh_from_db()
    assert ticket.status == S.NEW
    assert "matches no Supportdesk user" in in_slack.told(agent.email)[0]


def test_a_click_on_an_acknowledged_ticket_says_why_nothing_happened(in_slack, agent, ticket):
    ts, older = in_slack.card(ticket), in_slack.card(ticket)
    in_slack.click(ts, "acknowledge", agent.email)
    in_slack.click(older, "acknowledge", agent.email)  # an older card of the ticket, not redrawn
    assert in_slack.told(agent.email) == ["“Acknowledge” does not apply to a ticket that is acknowledged."]


def test_the_open_button_and_other_payloads_do_nothing(in_slack, agent, ticket):
    ts = in_slack.card(ticket)
    assert in_slack.click(ts, "open", agent.email).status_code == 200
    assert in_slack.post("/slack/interactivity/", {"payload": '{"type": "view_closed"}'}).status_code == 200
    assert in_slack.post("/slack/interactivity/", {"payload": "not json"}).status_code == 400
    assert in_slack.post("/slack/interactivity/", {"payload": '{"type": "block_actions"}'}).status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == S.NEW


@pytest.mark.parametrize("watchers", [1, 15])
def test_a_click_costs_the_same_queries_however_many_watchers(
    in_slack, agent, ticket, watchers, django_assert_max_num_queries
):
    Watch.objects.bulk_create(Watch(ticket=ticket, user=UserFactory()) for _ in range(watchers))
    ts = in_slack.card(ticket)
    in_slack.click(ts, "assign_me", agent.email)  # who they are, remembered
    # 25 today: the request, the ticket, the change and its reactions, the card remembered, its redraw (run here)
    with django_assert_max_num_queries(26):
        in_slack.click(ts, "acknowledge", agent.email)


def test_the_card_clicked_is_the_one_later_notices_thread_under(in_slack, agent, ticket):
    ts = in_slack.card(ticket)  # posted before cards were remembered
    in_slack.click(ts, "assign_me", agent.email)
    channel = Channel.objects.create(name="#sandbox", kind=Channel.Kind.SLACK, slack_channel=DEFAULT_CHANNEL)

    notify(ticket=ticket, reason="SLA breached", key="sla", channels=[channel])
    notification_deliver(notification_id=Notification.objects.get(key=f"sla:channel:{channel.pk}").pk)

    [card] = in_slack.fake.cards(DEFAULT_CHANNEL)
    assert card.ts == ts and [r.text for r in in_slack.fake.replies(card)] == ["SLA breached"]
    assert SlackCard.objects.get(ticket=ticket, channel=DEFAULT_CHANNEL).ts == ts
