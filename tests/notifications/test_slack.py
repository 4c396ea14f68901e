"""Slack channels: the ticket card the sender posts (against the sandbox's fake Slack), and what each of Slack's
answers does to the notification."""

import socket
from contextlib import nullcontext

import pytest
from django.core.exceptions import ValidationError

from notifications import services
from notifications.models import Channel, Notification
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db
SLACK_ID = "C0OPSCHAN1"


@pytest.fixture
def slack_channel(fake_slack) -> Channel:
    return Channel.objects.create(name="#ops", kind=Channel.Kind.SLACK, slack_channel=SLACK_ID)


def deliver(ticket, channel: Channel) -> Notification:
    services.notify(ticket=ticket, reason="Escalation step 1", key="k", channels=[channel])
    row = Notification.objects.get(key=f"k:channel:{channel.pk}")
    services.notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    return row


def test_a_ticket_goes_to_slack_as_a_card_with_its_buttons(ticket, slack_channel, fake_slack):
    row = deliver(ticket, slack_channel)

    assert row.status == "sent"
    [message] = fake_slack.messages
    assert message.channel == SLACK_ID
    assert message.text == f"[{ticket.reference} SEV3] Escalation step 1: Checkout is down"
    [card] = message.attachments
    assert card["color"] == ticket.severity.colour
    section, facts, actions = card["blocks"]
    assert section["text"]["text"] == (
        f"*<http://127.0.0.1:8000/tickets/{ticket.reference}/|{ticket.reference} · Checkout is down>*\n"
        "Escalation step 1"
    )
    assert [f["text"] for f in facts["fields"]] == [
        "*Severity*\nSEV3",
        f"*Queue*\n{ticket.queue.name}",
        "*Status*\nNew",
        "*Assignee*\nNobody",
    ]
    assert [(b["action_id"], b.get("value")) for b in actions["elements"]] == [
        ("ticket_acknowledge", ticket.reference),
        ("ticket_resolve", ticket.reference),
        ("ticket_escalate", ticket.reference),
        ("ticket_assign_me", ticket.reference),
        ("ticket_open", ticket.reference),
    ]
    notified = TicketEvent.objects.get(ticket=ticket, kind="notified").data
    assert notified["outcome"] == "sent" and notified["channel"] == "Slack channel “#ops”"


def test_a_title_cannot_mention_or_link_anyone(requester, queue, slack_channel, fake_slack):
    from ..factories import TicketFactory

    ticket = TicketFactory(queue=queue, requester=requester, title="<!channel> & <https://evil|click>")
    deliver(ticket, slack_channel)
    section = fake_slack.messages[0].attachments[0]["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;" in section


@pytest.mark.parametrize(
    ("answer", "outcome", "said"),
    [
        ((429, "ratelimited"), "pending", "Slack could not take it (ratelimited)."),
        ((500, "internal_error"), "pending", "Slack could not take it (internal_error)."),
        ((503, "HTTP 503"), "pending", "Slack could not take it"),
        ((200, "not_in_channel"), "failed", f"The Supportdesk app is not in Slack channel {SLACK_ID}: invite it"),
        ((200, "invalid_auth"), "failed", "Slack refused the bot token (invalid_auth): check SLACK_BOT_TOKEN."),
        ((200, "msg_too_long"), "failed", "Slack refused it: msg_too_long."),
    ],
)
def test_slacks_answers(ticket, slack_channel, fake_slack, answer, outcome, said):
    fake_slack.fail_next.append(answer)
    with pytest.raises(services.RetryableDeliveryError) if outcome == "pending" else nullcontext():
        deliver(ticket, slack_channel)
    row = Notification.objects.get(channel=slack_channel)
    assert (row.status, row.attempts) == (outcome, 1)
    assert row.last_error.startswith(said)


def test_an_unknown_channel_fails_plainly(ticket, slack_channel, fake_slack):
    fake_slack.unknown_channels.add(SLACK_ID)
    row = deliver(ticket, slack_channel)
    assert row.status == "failed"
    assert row.last_error.startswith(f"Slack knows no channel {SLACK_ID}: check the channel ID")


def test_a_wrong_token_is_refused_by_slack(ticket, slack_channel, settings):
    settings.SLACK_BOT_TOKEN = "xoxb-wrong"
    assert deliver(ticket, slack_channel).last_error.startswith("Slack refused the bot token (invalid_auth)")


def test_slack_unreachable_is_retried(ticket, slack_channel, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.SLACK_API_URL = f"http://127.0.0.1:{port}/api/"
    with pytest.raises(services.RetryableDeliveryError):
        deliver(ticket, slack_channel)
    row = Notification.objects.get(channel=slack_channel)
    assert row.status == "pending" and row.last_error.startswith("Slack could not be reached")


def test_mail_not_about_a_ticket_goes_as_text(slack_channel, fake_slack):
    services.notify_audience(users=[], channels=[slack_channel], subject="KPI missed", body="MTTA 14 min", key="kpi")
    row = Notification.objects.get()
    services.notification_deliver(notification_id=row.pk)
    assert fake_slack.messages[0].text == "*KPI missed*\nMTTA 14 min"


def test_a_slack_channel_needs_its_id_and_slack_configured(settings):
    settings.SLACK_BOT_TOKEN = "xoxb-set"
    with pytest.raises(ValidationError) as missing:
        Channel(name="x", kind=Channel.Kind.SLACK).full_clean()
    assert missing.value.message_dict == {"slack_channel": ["A slack channel needs this."]}
    with pytest.raises(ValidationError) as named:
        Channel(name="x", kind=Channel.Kind.SLACK, slack_channel="#ops").full_clean()
    assert "Use a Slack channel ID such as C024BE91L" in named.value.message_dict["slack_channel"][0]
    settings.SLACK_BOT_TOKEN = ""
    with pytest.raises(ValidationError) as unconfigured:
        Channel(name="x", kind=Channel.Kind.SLACK, slack_channel=SLACK_ID).full_clean()
    assert unconfigured.value.message_dict["kind"] == [
        "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET first."
    ]
