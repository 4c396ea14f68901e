"""`make run`'s alarm: the sandbox fires and clears a CloudWatch alarm, delivered as SNS delivers an alarm action's
message to the portal's endpoint, which verifies it with the certificate the sandbox serves (AWS_ENDPOINT_URL)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from integrations.models import Alarm, SnsMessage, SnsTopic
from tickets.models import Ticket
from tools.sandbox.cloudwatch import TOPIC_ARN, Publisher
from tools.sandbox.scenario import Clock, demo

from ..integrations.sns_fakes import IngestBroker
from .helpers import Live

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(settings, client, monkeypatch, prod_account, django_capture_on_commit_callbacks):
    """The demo story from a minute ago on the real clock (SNS refuses messages older than an hour), the portal
    reading certificates from the live sandbox, and deliveries POSTed through the test client."""
    from integrations.push import tasks as push_tasks

    epoch = timezone.now().astimezone(UTC).replace(microsecond=0) - timedelta(minutes=1)
    world = demo(Clock(epoch, 30))
    live = Live(world)
    settings.AWS_ENDPOINT_URL = live.url
    SnsTopic.objects.create(topic_arn=TOPIC_ARN)
    broker = IngestBroker()
    monkeypatch.setattr(push_tasks.sns_message_ingest_task, "apply_async", broker.apply_async)
    statuses: list[int] = []

    def post(url: str, body: bytes) -> int:
        assert url == "http://portal.test/aws/sns/"
        headers = {"x-amz-sns-message-type": "Notification"}
        with django_capture_on_commit_callbacks(execute=True):  # queues the ingest task on the fake broker
            response = client.post("/aws/sns/", body, content_type="text/plain; charset=UTF-8", headers=headers)
        status = response.status_code
        statuses.append(status)
        return status

    clock = {"now": epoch}
    publisher = Publisher(world, "http://portal.test", now=lambda: clock["now"], post=post)

    def at_step(step: int) -> list[int]:
        clock["now"] = world.clock.time(step) + timedelta(seconds=1)
        statuses.clear()
        publisher.tick()
        broker.work()
        return list(statuses)

    yield at_step
    live.close()


def test_the_sandboxs_alarm_opens_a_ticket_and_its_ok_resolves_it(story):
    assert story(1) == []  # nothing fired yet
    assert story(2) == [200]
    ticket = Ticket.objects.get(tags__name="cloudwatch")
    assert ticket.title == "CloudWatch alarm: payments-checkout-api-5xx in us-east-1 (Payments prod)"
    assert ticket.status == Ticket.Status.NEW
    assert story(3) == []  # delivered once

    assert story(6) == [200]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert list(SnsMessage.objects.order_by("received_at").values_list("outcome", flat=True)) == [
        "opened",
        "resolved",
    ]
    assert Alarm.objects.get().state == "OK"


def test_a_delivery_the_portal_did_not_answer_is_tried_again():
    world = demo(Clock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC), 30))
    answers = iter([0, 503, 200])
    sent: list[dict] = []

    def post(url: str, body: bytes) -> int:
        sent.append(json.loads(body))
        return next(answers)

    publisher = Publisher(world, "http://x", now=lambda: world.clock.time(3))
    publisher.post = post
    for _ in range(4):
        publisher.tick()
    assert len(sent) == 3  # unreachable, then a 503, then taken: never again
    assert len({m["MessageId"] for m in sent}) == 1
    assert json.loads(sent[0]["Message"])["NewStateValue"] == "ALARM"
    assert json.loads(sent[0]["Message"])["Region"] == "US East (N. Virginia)"
