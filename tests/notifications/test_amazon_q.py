"""SNS channels in Amazon Q Developer's custom-notification format: it shows them as cards in Slack and Microsoft
Teams, and drops anything else without a word, so the shape is held here."""

import json

import pytest
from django.core.exceptions import ValidationError

from notifications import services
from notifications.messages import AMAZON_Q_DESCRIPTION_MAX, AMAZON_Q_TITLE_MAX, amazon_q_message
from notifications.models import Channel, Notification

from ..factories import TicketFactory
from .moto_sns import received

pytestmark = pytest.mark.django_db


@pytest.fixture
def q_channel(ops_topic) -> Channel:
    return Channel.objects.create(
        name="Chatbot", kind=Channel.Kind.SNS, topic_arn=ops_topic[0], message_format=Channel.MessageFormat.AMAZON_Q
    )


def test_the_sns_message_is_an_amazon_q_custom_notification(ticket, q_channel, ops_topic):
    services.notify(ticket=ticket, reason="Escalation step 1", key="k", channels=[q_channel])
    row = Notification.objects.get()
    services.notification_deliver(notification_id=row.pk)

    [got] = received(ops_topic[1])
    message = json.loads(got["Message"])
    link = f"http://127.0.0.1:8000/tickets/{ticket.reference}/"
    assert message == {
        "version": "1.0",
        "source": "custom",
        "id": row.key,
        "content": {
            "textType": "client-markdown",
            "title": f"{ticket.reference} SEV3: Checkout is down",
            "description": row.body,
            "nextSteps": [f"Open {ticket.reference} in Supportdesk: {link}"],
            "keywords": ["SEV3", ticket.queue.name, "new", "production"],
        },
        "metadata": {
            "threadId": ticket.reference,
            "summary": row.subject,
            "eventType": "notice",
            "additionalContext": {k: v for k, v in row.attributes.items() if v},
        },
    }
    assert got["MessageAttributes"]["reference"]["Value"] == ticket.reference  # subscribers still filter on them


def test_the_amazon_q_limits_are_kept(queue, requester, q_channel):
    ticket = TicketFactory(queue=queue, requester=requester, title="t" * 200)
    services.notify(ticket=ticket, reason="r" * 300, key="k", channels=[q_channel])
    row = Notification.objects.get()
    row.body = "b" * 20_000
    content = amazon_q_message(row)["content"]
    assert len(content["title"]) <= AMAZON_Q_TITLE_MAX
    assert len(content["description"]) == AMAZON_Q_DESCRIPTION_MAX and content["description"].endswith("…")


def test_a_notice_without_a_ticket(q_channel):
    services.notify_audience(users=[], channels=[q_channel], subject="KPI missed", body="MTTA 14 min", key="kpi")
    message = amazon_q_message(Notification.objects.get())
    assert message["content"] | {"description": ""} == {
        "textType": "client-markdown",
        "title": "KPI missed",
        "description": "",
        "nextSteps": [],
        "keywords": [],
    }


def test_the_format_is_for_sns_only():
    channel = Channel(
        name="x",
        kind=Channel.Kind.EMAIL,
        email_addresses="a@example.com",
        message_format=Channel.MessageFormat.AMAZON_Q,
    )
    with pytest.raises(ValidationError) as refused:
        channel.full_clean()
    assert refused.value.message_dict == {"message_format": ["The Amazon Q format is for SNS topics only."]}
