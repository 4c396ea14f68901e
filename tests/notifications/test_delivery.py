"""Delivery through each channel kind, and what each attempt leaves on the row and the ticket's timeline."""

import hashlib
import hmac
import json
from contextlib import nullcontext

import pytest
import requests
import responses
from botocore.exceptions import ClientError
from django.core import mail

from awsgateway import sns
from notifications import services
from notifications.models import Channel, Notification
from tickets.models import TicketEvent

from .conftest import hears
from .moto_sns import received, topic_with_queue

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.example.com/supportdesk"
SECRET = "s3cret-shared-with-the-receiver"


def enqueue(ticket, channel: Channel, key: str = "k") -> Notification:
    services.notify(ticket=ticket, reason="Escalation step 1", key=key, channels=[channel])
    return Notification.objects.get(key=f"{key}:channel:{channel.pk}")


def deliver(row: Notification) -> Notification:
    services.notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    return row


def attempts_on_timeline(ticket) -> list[dict]:
    return [e.data for e in TicketEvent.objects.filter(ticket=ticket, kind="notified").order_by("pk")]


def test_sns_delivers_subject_body_with_link_and_filterable_attributes(ticket, sns_channel, ops_topic):
    row = deliver(enqueue(ticket, sns_channel))

    [got] = received(ops_topic[1])
    assert got["Subject"] == f"[{ticket.reference} SEV3] Escalation step 1: Checkout is down"
    assert f"http://127.0.0.1:8000/tickets/{ticket.reference}/" in got["Message"].splitlines()
    attributes = {name: a["Value"] for name, a in got["MessageAttributes"].items()}
    assert attributes == {
        "event": "notice",
        "reference": ticket.reference,
        "title": "Checkout is down",
        "status": "new",
        "severity": "SEV3",
        "queue": ticket.queue.name,
        "environment": "production",
        "account": "123456789012",
        "kind": "incident",
    }
    assert all(a["Type"] == "String" for a in got["MessageAttributes"].values())
    assert (row.status, row.attempts, row.last_error, row.next_attempt_at) == ("sent", 1, "", None)
    assert attempts_on_timeline(ticket) == [
        {"channel": "Amazon SNS topic “Ops topic”", "outcome": "sent", "detail": f"SNS message {got['MessageId']}"}
    ]


def test_a_fifo_topic_groups_by_ticket_and_dedups_by_notification(ticket, moto):
    topic, queue = topic_with_queue("ops", fifo=True)
    channel = Channel.objects.create(name="FIFO", kind=Channel.Kind.SNS, topic_arn=topic)
    first, second = enqueue(ticket, channel, key="a"), enqueue(ticket, channel, key="b")
    deliver(first), deliver(second)

    got = received(queue)
    assert [m["sqs"]["MessageGroupId"] for m in got] == [ticket.reference] * 2
    assert [m["sqs"]["MessageDeduplicationId"] for m in got] == [first.key, second.key]


def test_sns_refusing_the_message_fails_it_at_once(ticket, sns_channel, monkeypatch):
    client = sns.client_for(sns.AccountAccess("123456789012"), "sns", region="us-east-1", once=True)
    refusal = {"Error": {"Code": "InvalidParameter", "Message": "Invalid parameter: Subject"}}
    monkeypatch.setattr(client, "publish", lambda **params: (_ for _ in ()).throw(ClientError(refusal, "Publish")))

    row = deliver(enqueue(ticket, sns_channel))

    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == "AWS refused: InvalidParameter Invalid parameter: Subject"
    assert attempts_on_timeline(ticket)[-1]["outcome"] == "failed"


def test_a_topic_gone_fails_with_aws_words(ticket, moto):
    gone = Channel.objects.create(name="Gone", kind=Channel.Kind.SNS, topic_arn="arn:aws:sns:us-east-1:123456789012:x")
    row = deliver(enqueue(ticket, gone))
    assert row.status == "failed" and row.last_error.startswith("AWS refused: NotFound")


def test_email_goes_to_the_channel_addresses_and_to_people(ticket, agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    channel = Channel.objects.create(name="Mail", kind=Channel.Kind.EMAIL, email_addresses="a@x.org,\nb@x.org")
    services.notify(ticket=ticket, reason="Needs eyes", key="k", channels=[channel], users=[agent])

    for row in Notification.objects.filter(key__startswith="k:"):
        assert deliver(row).status == "sent"

    assert sorted(m.to for m in mail.outbox) == sorted([["a@x.org", "b@x.org"], [agent.email]])
    assert {m.subject for m in mail.outbox} == {f"[{ticket.reference} SEV3] Needs eyes: Checkout is down"}
    assert {a["channel"] for a in attempts_on_timeline(ticket)} == {"Email “Mail”", f"Email to {agent.email}"}


@pytest.fixture
def hook(db) -> Channel:
    return Channel.objects.create(name="Jira", kind=Channel.Kind.WEBHOOK, webhook_url=HOOK, webhook_secret=SECRET)


@responses.activate
def test_a_webhook_gets_the_documented_payload_signed_with_the_secret(ticket, hook):
    responses.post(HOOK, status=204)
    row = deliver(enqueue(ticket, hook))

    [call] = responses.calls
    raw = call.request.body
    expected = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert call.request.headers["X-Supportdesk-Signature"] == f"sha256={expected}"
    assert call.request.headers["X-Supportdesk-Delivery"] == row.key
    assert call.request.headers["Content-Type"] == "application/json"
    payload = json.loads(raw)
    assert payload == {
        "event": "notice",
        "reason": "Escalation step 1",
        "subject": row.subject,
        "text": row.body,
        "ticket": {
            "reference": ticket.reference,
            "title": "Checkout is down",
            "status": "new",
            "severity": "SEV3",
            "queue": ticket.queue.name,
            "environment": "production",
            "account": "123456789012",
            "kind": "incident",
            "link": f"http://127.0.0.1:8000/tickets/{ticket.reference}/",
        },
        "sent_at": row.sent_at.isoformat(),
        "notification_id": row.pk,
    }
    assert (row.status, attempts_on_timeline(ticket)[-1]["detail"]) == ("sent", "HTTP 204")


@responses.activate
@pytest.mark.parametrize(
    ("status", "outcome"), [(400, "failed"), (404, "failed"), (302, "failed"), (429, "pending"), (503, "pending")]
)
def test_a_webhook_refusal_fails_at_once_and_an_outage_is_retried(ticket, hook, status, outcome):
    responses.post(HOOK, status=status, body="project KEY does not exist", headers={"Location": "https://else/"})
    with pytest.raises(services.RetryableDeliveryError) if outcome == "pending" else nullcontext():
        deliver(enqueue(ticket, hook))
    row = Notification.objects.get(channel=hook)
    assert (row.status, row.attempts) == (outcome, 1)
    assert f"HTTP {status}" in row.last_error
    assert len(responses.calls) == 1  # a redirect is not followed


@responses.activate
def test_an_unreachable_webhook_is_retried_with_the_reason(ticket, hook):
    responses.post(HOOK, body=requests.ConnectionError("refused"))
    with pytest.raises(services.RetryableDeliveryError):
        deliver(enqueue(ticket, hook))
    row = Notification.objects.get(channel=hook)
    assert row.status == "pending" and row.last_error == "The webhook could not be reached: ConnectionError."
    assert attempts_on_timeline(ticket)[-1]["outcome"] == "retrying"


def test_a_channel_disabled_before_delivery_fails_the_notification(ticket, hook):
    row = enqueue(ticket, hook)
    Channel.objects.filter(pk=hook.pk).update(enabled=False)
    assert deliver(row).last_error == "The channel was disabled before this was sent."


def test_a_delivery_attempt_notifies_nobody(ticket, queue, sns_channel):
    hears(sns_channel, queue)
    deliver(enqueue(ticket, sns_channel))
    assert Notification.objects.count() == 1  # its `notified` timeline event started nothing
