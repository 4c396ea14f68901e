"""SNS unreachable for hours, then for more than a day, against a moto server of the test's own: nothing goes dead
before a day, every notification arrives once when SNS is back, and a dead one is replayed from the admin. The
clock is moved, not waited for; SNS is unreachable as in a network outage (its address refuses connections)."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from notifications import selectors, services
from notifications.models import Channel, Notification
from notifications.retries import RETRY_FOR

from . import moto_sns
from .conftest import run_outbox
from .moto_sns import free_port, received, topic_with_queue

pytestmark = [pytest.mark.fault, pytest.mark.django_db]

NOTIFICATIONS = 10


@pytest.fixture(scope="module")
def moto_server():
    with moto_sns.moto_server() as url:
        yield url


@pytest.fixture
def sns(moto_server, settings):
    """SNS at the moto server, a topic with a queue subscribed, and a switch that makes SNS unreachable."""
    topic, queue_url = topic_with_queue(f"ops-{time.monotonic_ns()}", endpoint_url=moto_server)
    nobody_listens = f"http://127.0.0.1:{free_port()}"

    def reachable(up: bool) -> None:
        settings.AWS_ENDPOINT_URL = moto_server if up else nobody_listens

    reachable(False)
    channel = Channel.objects.create(name="Ops", kind=Channel.Kind.SNS, topic_arn=topic)
    return channel, reachable, lambda: received(queue_url, endpoint_url=moto_server)


def test_sns_unreachable_for_six_hours_loses_nothing_and_each_notification_arrives_once(
    ticket, sns, broker, django_capture_on_commit_callbacks
):
    channel, reachable, delivered = sns
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(NOTIFICATIONS):
                services.notify(ticket=ticket, reason=f"r{n}", key=f"k{n}", channels=[channel])
        broker.work()  # Celery's quick retries, all refused

        # six hours: the old budget (8 attempts, about 20 minutes) dropped them all
        attempts = run_outbox(clock, broker, until=start + timedelta(hours=6))
        assert {outcome for _, outcome in attempts} == {"retrying"}
        assert Notification.objects.filter(status="pending").count() == NOTIFICATIONS
        reachable(True)
        back = run_outbox(clock, broker, until=start + timedelta(days=2))

    assert [outcome for _, outcome in back] == ["sent"] * NOTIFICATIONS
    assert Notification.objects.filter(status="sent").count() == NOTIFICATIONS
    messages = delivered()
    assert len(messages) == NOTIFICATIONS
    assert len({m["Subject"] for m in messages}) == NOTIFICATIONS  # each one, once
    tries = Notification.objects.values_list("attempts", flat=True)
    print(
        f"\nSNS down 6 h: {NOTIFICATIONS} notifications, {min(tries)}-{max(tries)} attempts each, 0 dead, "
        f"{len(messages)} delivered"
    )


def test_sns_unreachable_past_a_day_goes_dead_then_the_admins_replay_delivers_it_once(
    ticket, sns, broker, client, admin_user, django_capture_on_commit_callbacks
):
    channel, reachable, delivered = sns
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            services.notify(ticket=ticket, reason="r", key="k", channels=[channel])
        broker.work()

        early = run_outbox(clock, broker, until=start + RETRY_FOR - timedelta(seconds=1))
        assert {outcome for _, outcome in early} == {"retrying"}  # nothing dead before a day
        [(when, outcome)] = run_outbox(clock, broker, until=start + timedelta(days=3))
        assert outcome == "dead" and when >= start + RETRY_FOR
        assert selectors.dead_notification_count() == 1

        reachable(True)
        client.force_login(admin_user)
        row = Notification.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("admin:notifications_notification_changelist"),
                {"action": "retry", "_selected_action": [row.pk]},
            )
        assert broker.work() == ["sent"]
        assert run_outbox(clock, broker, until=start + timedelta(days=5)) == []  # nothing left to send

    assert len(delivered()) == 1
    print(f"\nSNS down past a day: dead after {row.attempts} attempts over a day; replayed, delivered once")
