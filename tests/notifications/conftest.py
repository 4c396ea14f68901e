from datetime import datetime

import pytest
from django.db.models import Min
from django.utils import timezone
from kombu.exceptions import OperationalError
from moto import mock_aws

from awsgateway import clients
from notifications import senders, services, tasks
from notifications.models import Channel, Notification, QueueChannel

from ..awsgateway.conftest import aws_env  # noqa: F401  dummy credentials, no custom endpoint
from ..factories import TicketFactory
from .moto_sns import topic_with_queue


class Broker:
    """Stands in for Celery's broker: what was queued for delivery, and whether it is reachable."""

    def __init__(self) -> None:
        self.queued: list[int] = []
        self.down = False

    def apply_async(self, args, **options) -> None:
        assert options == {"retry": False}  # a broker outage must not hold up the change
        if self.down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.queued.append(args[0])

    def work(self) -> list[str]:
        """A worker takes everything queued, as Celery would (retries run at once, without their countdown)."""
        queued, self.queued = self.queued, []
        return [tasks.notification_deliver_task.apply(args=(pk,)).get(propagate=False) for pk in queued]


@pytest.fixture(autouse=True)
def broker(monkeypatch) -> Broker:
    fake = Broker()
    monkeypatch.setattr(tasks.notification_deliver_task, "apply_async", fake.apply_async)
    return fake


@pytest.fixture
def moto(monkeypatch):
    # a session of our own: the shared one keeps the credentials it first resolved, and moto's are fake ones
    monkeypatch.setattr(clients, "_shared", [])
    with mock_aws():
        yield


@pytest.fixture
def ops_topic(moto) -> tuple[str, str]:
    """An SNS topic and the SQS queue subscribed to it."""
    return topic_with_queue("ops")


@pytest.fixture
def sns_channel(db, ops_topic) -> Channel:
    return Channel.objects.create(name="Ops topic", kind=Channel.Kind.SNS, topic_arn=ops_topic[0])


@pytest.fixture
def ticket(db, queue, requester):
    return TicketFactory(
        queue=queue,
        requester=requester,
        title="Checkout is down",
        environment="production",
        aws_account_id="123456789012",
    )


def hears(channel: Channel, queue, min_severity=None) -> Channel:
    QueueChannel.objects.create(channel=channel, queue=queue, min_severity=min_severity)
    return channel


def run_outbox(clock, broker, *, until: datetime) -> list[tuple[datetime, str]]:
    """Beat and a worker until ``until``: at each due time the sweep queues what is due and the worker tries it once
    (the worst case, Celery's quick retries spent); returns when each attempt ran and its outcome."""
    attempts = []
    while (due := Notification.objects.filter(status="pending").aggregate(due=Min("next_attempt_at"))["due"]) and (
        due <= until
    ):
        clock.move_to(due)
        services.notifications_sweep()
        queued, broker.queued = broker.queued, []
        for pk in queued:
            try:
                attempts.append((timezone.now(), services.notification_deliver(notification_id=pk)))
            except senders.RetryableDeliveryError:
                attempts.append((timezone.now(), "retrying"))
    return attempts
