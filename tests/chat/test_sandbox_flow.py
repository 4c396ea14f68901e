"""make run's Slack, end to end: a ticket filed reaches the sandbox's chat as a card; a click there is sent to the
portal signed, acknowledges as that person, and the card is redrawn."""

import pytest

from notifications import tasks as notification_tasks
from notifications.models import Channel, QueueChannel
from tickets.models import Ticket
from tools.sandbox.slack import DEFAULT_CHANNEL

from ..factories import QueueFactory, TicketFactory


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
