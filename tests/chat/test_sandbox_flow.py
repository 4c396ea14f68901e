"""make run's Slack, end to end: a ticket filed reaches the sandbox's chat as a card, a page as a DM; a click there is
sent to the portal signed, acknowledges as that person, and the card is redrawn."""

from datetime import timedelta

import pytest
from django.db import transaction

from notifications import tasks as notification_tasks
from notifications.models import Channel, QueueChannel
from paging.models import NotificationRule, Page
from paging.services import contact_method_slack_set, page_start
from tickets.models import Ticket
from tools.sandbox.slack import DEFAULT_CHANNEL

from ..factories import QueueFactory, TicketFactory, severity


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_file_see_the_card_click_acknowledge(live_server, fake_slack, agent, monkeypatch):
    deliver = notification_tasks.notification_deliver_task
    monkeypatch.setattr(deliver, "apply_async", lambda args, **options: deliver.apply(args))  # a worker, at once
    fake_slack.portal_url = live_server.url
    queue = QueueFactory(members=[agent])
    channel = Channel.objects.create(name="#ops", kind=Channel.Kind.SLACK, slack_channel=DEFAULT_CHANNEL)
    QueueChannel.objects.create(queue=queue, channel=channel)

    ticket = TicketFactory(queue=queue, title="Checkout is down")

    [card] = fake_slack.messages
    assert card.text == f"[{ticket.reference} SEV3] New ticket: Checkout is down"
    status, _ = fake_slack.click(ts=card.ts, action_id="ticket_acknowledge", email=agent.email)
    assert status == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Ticket.Status.ACKNOWLEDGED, agent)
    assert f"Acknowledged by {agent.display_name} from Slack" in card.text
    status, _ = fake_slack.command(text="who", email=agent.email)
    assert status == 200
    assert fake_slack.messages[-1].text.startswith("/supportdesk who\n")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_paged_by_slack_dm_tap_acknowledge_in_the_sandboxs_chat(live_server, fake_slack, agent, monkeypatch):
    deliver = notification_tasks.notification_deliver_task
    monkeypatch.setattr(deliver, "apply_async", lambda args, **options: deliver.apply(args))  # a worker, at once
    fake_slack.portal_url = live_server.url
    assert contact_method_slack_set(user=agent).is_verified  # found by their address
    NotificationRule.objects.create(user=agent, band="urgent", delay=timedelta(0), medium="slack")
    NotificationRule.objects.create(user=agent, band="urgent", delay=timedelta(minutes=2), medium="sms")
    ticket = TicketFactory(queue=QueueFactory(members=[agent]), severity=severity("SEV1"), title="Checkout is down")

    with transaction.atomic():
        page_start(ticket=ticket, user=agent, reason="Escalated: please acknowledge", key="e2e")

    [dm] = fake_slack.direct_messages(agent.email)
    assert f"/p/{ticket.reference}/" in dm.text  # the one-tap link, under the card
    status, _ = fake_slack.click(ts=dm.ts, action_id="ticket_acknowledge", email=agent.email)
    assert status == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Ticket.Status.ACKNOWLEDGED, agent)
    assert Page.objects.get().stop_reason == f"Acknowledged by {agent.display_name} from Slack."
