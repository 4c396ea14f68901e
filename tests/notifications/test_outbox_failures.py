"""Every notification arrives, once: SNS failing for a while, a worker killed mid-delivery, the broker down when
the ticket is saved, the same task run twice or at once."""

import threading
from datetime import timedelta
from itertools import pairwise

import pytest
import time_machine
from botocore.exceptions import ClientError, EndpointConnectionError
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from awsgateway import sns
from notifications import selectors, senders, services
from notifications.models import Channel, Notification
from notifications.retries import BACKOFF_MAX_SECONDS, RETRY_FOR, SWEEP_AFTER
from tickets.models import TicketEvent

from ..factories import TicketFactory
from .conftest import hears, run_outbox
from .moto_sns import received, topic_with_queue

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """The worker process dying: nothing after it runs, and its open transaction is rolled back."""


def later() -> timezone.datetime:
    return timezone.now() + SWEEP_AFTER + timedelta(seconds=1)


@pytest.fixture
def fifo(moto, queue) -> tuple[Channel, str]:
    topic, queue_url = topic_with_queue("ops", fifo=True)
    return hears(Channel.objects.create(name="Ops", kind=Channel.Kind.SNS, topic_arn=topic), queue), queue_url


def flaky_publish(monkeypatch, *, failures: int, code: str = "InternalError", http: int = 500) -> list[str]:
    """SNS answering `code` to the first `failures` publishes, then publishing for real; returns what it said."""
    client = sns.client_for(sns.AccountAccess("123456789012"), "sns", region="us-east-1", once=True)
    real, said = client.publish, []

    def publish(**params):
        if len(said) < failures:
            said.append(code)
            error = {"Error": {"Code": code, "Message": "Try again"}, "ResponseMetadata": {"HTTPStatusCode": http}}
            raise ClientError(error, "Publish")
        said.append("published")
        return real(**params)

    monkeypatch.setattr(client, "publish", publish)
    return said


def test_sns_failing_for_a_while_then_delivers_once(
    ticket, sns_channel, ops_topic, broker, monkeypatch, django_capture_on_commit_callbacks
):
    said = flaky_publish(monkeypatch, failures=3)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(ticket=ticket, reason="r", key="k", channels=[sns_channel])

    assert broker.work() == ["sent"]  # Celery retried it three times

    assert said == ["InternalError"] * 3 + ["published"]
    assert len(received(ops_topic[1])) == 1
    row = Notification.objects.get()
    assert (row.status, row.attempts, row.last_error) == ("sent", 4, "")
    outcomes = [e.data["outcome"] for e in TicketEvent.objects.filter(kind="notified").order_by("pk")]
    assert outcomes == ["retrying", "retrying", "retrying", "sent"]


def unreachable_sns(monkeypatch) -> dict[str, bool]:
    """SNS's endpoint refusing connections while ``state["down"]``, as in a network or region outage."""
    client = sns.client_for(sns.AccountAccess("123456789012"), "sns", region="us-east-1", once=True)
    real, state = client.publish, {"down": True}

    def publish(**params):
        if state["down"]:
            raise EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com/")
        return real(**params)

    monkeypatch.setattr(client, "publish", publish)
    return state


def test_sns_unreachable_for_hours_loses_nothing_and_delivers_once_when_back(
    ticket, sns_channel, ops_topic, broker, monkeypatch, django_capture_on_commit_callbacks
):
    sns_down = unreachable_sns(monkeypatch)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            services.notify(ticket=ticket, reason="r", key="k", channels=[sns_channel])
        [quick_retries] = broker.work()  # Celery's quick retries, run at once here, all fail
        assert isinstance(quick_retries, senders.RetryableDeliveryError)
        # when: SNS stays unreachable for six hours (the old budget gave up after about 20 minutes)
        attempts = run_outbox(clock, broker, until=start + timedelta(hours=6))
        assert {outcome for _, outcome in attempts} == {"retrying"}
        gaps = [later - earlier for (earlier, _), (later, _) in pairwise(attempts)]
        assert max(gaps) == timedelta(seconds=BACKOFF_MAX_SECONDS) + SWEEP_AFTER  # capped: tried every 20 minutes
        sns_down["down"] = False
        assert run_outbox(clock, broker, until=start + timedelta(days=2))[-1][1] == "sent"

    row = Notification.objects.get()
    assert (row.status, row.retry_until, row.last_error) == ("sent", None, "")
    assert len(received(ops_topic[1])) == 1
    retrying = TicketEvent.objects.filter(kind="notified", data__outcome="retrying").latest("pk").data["detail"]
    assert retrying.startswith("AWS is unreachable. Attempt ") and "; will retry by " in retrying


def test_sns_unreachable_for_more_than_a_day_goes_dead_and_an_admin_replay_delivers_it_once(
    ticket, sns_channel, ops_topic, broker, monkeypatch, django_capture_on_commit_callbacks
):
    sns_down = unreachable_sns(monkeypatch)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            services.notify(ticket=ticket, reason="r", key="k", channels=[sns_channel])
        broker.work()
        first_failure = start

        before_a_day = run_outbox(clock, broker, until=first_failure + RETRY_FOR - timedelta(seconds=1))
        assert {outcome for _, outcome in before_a_day} == {"retrying"}  # nothing dead before a day
        assert Notification.objects.get().status == "pending"
        assert selectors.dead_notification_count() == 0

        [(when, outcome)] = run_outbox(clock, broker, until=first_failure + RETRY_FOR + timedelta(hours=1))
        assert (outcome, when >= first_failure + RETRY_FOR) == ("dead", True)
        row = Notification.objects.get()
        assert (row.status, row.next_attempt_at) == ("dead", None)
        assert selectors.dead_notification_count() == 1
        assert services.notifications_sweep(now=start + timedelta(days=3)) == 0  # dead: no longer tried
        detail = TicketEvent.objects.filter(kind="notified").latest("pk").data["detail"]
        gave_up = f"Gave up after a day ({row.attempts} attempts); replay it from the admin once it is back."
        assert detail == f"AWS is unreachable. {gave_up}"

        sns_down["down"] = False
        with django_capture_on_commit_callbacks(execute=True):
            assert services.notifications_retry(ids=[row.pk]) == 1
        assert broker.work() == ["sent"]

    assert Notification.objects.get().status == "sent"
    assert len(received(ops_topic[1])) == 1


def test_a_refused_notification_fails_at_once_and_is_not_retried(
    ticket, sns_channel, broker, monkeypatch, django_capture_on_commit_callbacks
):
    flaky_publish(monkeypatch, failures=1, code="InvalidParameter", http=400)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(ticket=ticket, reason="r", key="k", channels=[sns_channel])

    assert broker.work() == ["failed"]

    row = Notification.objects.get()
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 1, None)
    last = TicketEvent.objects.filter(kind="notified").latest("pk").data
    assert last["detail"] == "AWS refused: InvalidParameter Try again Not retried: it would be refused again."


def test_a_worker_killed_after_publishing_leaves_it_pending_and_the_sweep_does_not_double_it(fifo, broker, requester):
    channel, queue_url = fifo
    ticket = TicketFactory(queue=channel.queue_links.get().queue, requester=requester)
    row = Notification.objects.get(channel=channel)
    real_send = senders.send

    def send_then_die(notification, *, now):
        real_send(notification, now=now)
        raise Killed  # after SNS took it, before the row says so

    with pytest.MonkeyPatch.context() as patch, pytest.raises(Killed):
        patch.setattr(senders, "send", send_then_die)
        services.notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)  # rolled back with the dead transaction

    assert services.notifications_sweep() == 0  # not due yet: its task may still be on its way
    assert services.notifications_sweep(now=later()) == 1
    assert broker.work() == ["sent"]

    [got] = received(queue_url)  # SNS dropped the resend by its deduplication id, the notification's key
    assert got["sqs"]["MessageDeduplicationId"] == row.key
    assert ticket.reference in got["Subject"]


def test_the_broker_down_when_the_ticket_is_saved_delays_but_loses_nothing(
    fifo, requester, broker, django_capture_on_commit_callbacks
):
    channel, queue_url = fifo
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(queue=channel.queue_links.get().queue, requester=requester)  # saved all the same
    assert broker.queued == [] and Notification.objects.get().status == "pending"

    broker.down = False
    assert services.notifications_sweep(now=later()) == 1
    assert broker.work() == ["sent"]
    assert services.notifications_sweep(now=later() + SWEEP_AFTER) == 0  # sent: nothing left to re-send

    [got] = received(queue_url)
    assert got["sqs"]["MessageGroupId"] == ticket.reference


def test_every_notification_arrives_once_through_all_of_it(
    fifo, requester, broker, monkeypatch, django_capture_on_commit_callbacks
):
    # given: five tickets, the broker down for two of them, SNS failing three publishes
    channel, queue_url = fifo
    queue = channel.queue_links.get().queue
    flaky_publish(monkeypatch, failures=3)
    for n in range(5):
        broker.down = n in (1, 3)
        with django_capture_on_commit_callbacks(execute=True):
            TicketFactory(queue=queue, requester=requester)
    broker.down = False
    # when: the worker runs what was queued, a task runs twice, and the sweep finds the rest
    first = broker.work()
    services.notification_deliver(notification_id=Notification.objects.order_by("pk").first().pk)
    services.notifications_sweep(now=later())
    second = broker.work()
    # then
    assert sorted(first + second) == ["sent"] * 5
    assert Notification.objects.filter(status="sent").count() == 5
    assert len({m["sqs"]["MessageDeduplicationId"] for m in received(queue_url)}) == 5


def test_a_task_run_again_sends_nothing(ticket, sns_channel, ops_topic):
    services.notify(ticket=ticket, reason="r", key="k", channels=[sns_channel])
    row = Notification.objects.get()
    outcomes = [services.notification_deliver(notification_id=row.pk) for _ in range(2)]
    assert outcomes == ["sent", "skipped"]
    assert len(received(ops_topic[1])) == 1


def test_the_sweep_takes_only_pending_rows_past_due_and_pushes_them_ahead(ticket, sns_channel):
    services.notify(ticket=ticket, reason="r", key="a", channels=[sns_channel])
    services.notify(ticket=ticket, reason="r", key="b", channels=[sns_channel])
    services.notify(ticket=ticket, reason="r", key="c", channels=[sns_channel])
    Notification.objects.filter(key__startswith="b:").update(status="sent")
    Notification.objects.filter(key__startswith="c:").update(status="failed")
    now = later()

    assert services.notifications_sweep(now=now) == 1
    assert services.notifications_sweep(now=now) == 0  # the task just queued has SWEEP_AFTER to run
    assert Notification.objects.get(key__startswith="a:").next_attempt_at == now + SWEEP_AFTER


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded severities and roles
def test_two_workers_delivering_one_row_at_once_publish_it_once(ops_topic):
    # given: a notification, and a publish that waits inside SNS until told to go on
    channel = Channel.objects.create(name="Ops", kind=Channel.Kind.SNS, topic_arn=ops_topic[0])
    row = Notification.objects.create(
        key="k", channel=channel, event="notice", reason="r", subject="s", body="b", next_attempt_at=timezone.now()
    )
    publishing, go_on, outcomes = threading.Event(), threading.Event(), []
    real_publish = sns.sns_publish

    def slow_publish(**params):
        publishing.set()
        go_on.wait(10)
        return real_publish(**params)

    def worker():
        try:
            outcomes.append(services.notification_deliver(notification_id=row.pk))
        finally:
            connection.close()

    # when: the second worker comes while the first is publishing
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(senders, "sns_publish", slow_publish)
        first = threading.Thread(target=worker)
        first.start()
        assert publishing.wait(10)
        worker()  # finds the row locked, and skips it
        go_on.set()
        first.join(10)
    # then
    assert outcomes == ["skipped", "sent"]
    assert len(received(ops_topic[1])) == 1


def test_the_sweep_runs_every_minute_as_a_periodic_task_admins_can_edit():
    task = PeriodicTask.objects.get(task="notifications.tasks.notifications_sweep_task")
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 1, "minutes")
