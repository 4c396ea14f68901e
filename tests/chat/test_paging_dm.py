"""A page sent as a Slack DM: its Acknowledge button acknowledges through the chat app, the timeline says "from
Slack", and the ticket's pages stop at once (the SMS after two minutes never goes)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from notifications.models import Notification
from notifications.services import notification_deliver
from paging.models import ContactMethod, NotificationRule, Page
from paging.services import page_start, page_step
from tickets.models import Ticket, TicketEvent

from ..factories import QueueFactory, TicketFactory, UserFactory, severity

pytestmark = pytest.mark.django_db


@pytest.fixture
def paged(fake_slack):
    """Jo, paged about a SEV1 by Slack DM at once and an SMS after two minutes; the DM delivered."""
    jo = UserFactory(role=Role.AGENT, first_name="Jo", last_name="Lind", email="jo@example.com")
    now = timezone.now()
    ContactMethod.objects.create(user=jo, medium="slack", slack_user_id=fake_slack.user_id(jo.email), verified_at=now)
    ContactMethod.objects.create(user=jo, medium="sms", phone="+447700900123", verified_at=now)
    for minutes, medium in ((0, "slack"), (2, "sms")):
        NotificationRule.objects.create(user=jo, band="urgent", delay=timedelta(minutes=minutes), medium=medium)
    ticket = TicketFactory(queue=QueueFactory(members=[jo]), severity=severity("SEV1"))
    page = page_start(ticket=ticket, user=jo, reason="Escalated: please acknowledge", key="test:dm")
    assert page is not None
    notification_deliver(notification_id=Notification.objects.get(slack_to__gt="").pk)
    [dm] = fake_slack.direct_messages(jo.email)
    return jo, ticket, page, dm


def test_acknowledge_in_the_dm_acknowledges_from_slack_and_stops_the_pages_at_once(in_slack, paged):
    jo, ticket, page, dm = paged
    token = page.token

    assert in_slack.click(dm.ts, "acknowledge", jo.email).status_code == 200

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Ticket.Status.ACKNOWLEDGED, jo)
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.STATUS_CHANGED)
    assert (event.actor, event.data["via"]) == (jo, "slack")
    page.refresh_from_db()
    assert (page.is_active, page.stop_reason) == (False, "Acknowledged by Jo Lind from Slack.")
    assert page_step(page_id=page.pk, token=token) == "stale"  # the SMS's timer finds the page stopped
    assert not Notification.objects.filter(ticket=ticket, sms_to__gt="").exists()
    # the DM is redrawn: no Acknowledge button any more, and who did it
    assert in_slack.buttons(dm.ts)[0] == "Resolve"
    assert "Acknowledged by Jo Lind from Slack" in dm.text


def test_a_refused_acknowledge_leaves_the_pages_running(in_slack, paged):
    _, ticket, page, dm = paged
    outsider = UserFactory(role=Role.AGENT, email="sam@example.com")  # not in the ticket's queue

    in_slack.click(dm.ts, "acknowledge", outsider.email)

    assert in_slack.told(outsider.email)  # told why, only them
    page.refresh_from_db()
    assert page.is_active
    assert Page.objects.filter(ticket=ticket, stopped_at__isnull=True).count() == 1


def test_someone_who_linked_slack_by_code_acts_as_themselves_whatever_address_slack_has(in_slack, paged, fake_slack):
    jo, ticket, _, dm = paged
    member = ContactMethod.objects.get(user=jo, medium="slack")
    member.slack_user_id = fake_slack.user_id("jo.lind@personal.example")  # Slack's address is not the portal's
    member.save()
    dm.channel = member.slack_user_id

    in_slack.click(dm.ts, "acknowledge", "jo.lind@personal.example")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Ticket.Status.ACKNOWLEDGED, jo)
