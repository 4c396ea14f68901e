"""Queues by kind of work, with a real worker and a real Redis broker: a flood of polls never delays a notice."""

import time

import pytest
from kombu import Connection

from integrations import tasks as integrations_tasks
from notifications import tasks as notifications_tasks
from notifications.models import Notification
from supportdesk.celery import app
from supportdesk.queues import NOTIFICATIONS, POLLING, SWEEPS

from .fault.processes import BASE_DIR, PYTHON, WORKER, Process, Redis, database_url_under_test, django_env, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

FLOOD = 5_000  # five rounds of a thousand accounts, queued and not taken


def test_a_notification_is_sent_at_once_behind_a_flood_of_polls(tmp_path):
    # given: our own Redis broker holding thousands of polls nobody has taken yet, then one notice to send
    redis = Redis()
    broker = Connection(redis.url)
    worker = None
    try:
        producer = app.amqp.Producer(broker)
        for n in range(FLOOD):
            integrations_tasks.health_poll_task.apply_async(args=[10_000_000 + n], producer=producer)
        notice = Notification.objects.create(
            key="flood-test", email="oncall@example.com", event="notice", reason="test", subject="Up", body="Now"
        )
        queued_at = time.monotonic()
        notifications_tasks.notification_deliver_task.apply_async(args=[notice.pk], connection=broker)
        client = broker.default_channel.client
        assert client.llen(POLLING) == FLOOD and client.llen(NOTIFICATIONS) == 1  # routed by kind

        # when: the worker of what a person waits for starts
        env = django_env(DATABASE_URL=database_url_under_test(), REDIS_URL=redis.url)
        queues = f"{NOTIFICATIONS},{SWEEPS}"
        command = [PYTHON, *WORKER, "-Q", queues, "--concurrency", "1", "--loglevel", "INFO"]
        worker = Process(command, env=env, log=tmp_path / "worker.log", cwd=BASE_DIR)

        # then: the notice goes out as soon as the worker is up, and the flood waits for the polling workers
        def sent() -> bool:
            notice.refresh_from_db()
            return notice.status == Notification.Status.SENT

        wait_until(sent, seconds=60, step=0.1, what="the notification sent")
        took = time.monotonic() - queued_at
        assert client.llen(POLLING) == FLOOD
    finally:
        if worker:
            worker.kill()
        broker.release()
        redis.stop()
    print(f"\nnotification sent {took:.1f} s after it was queued (worker start included), behind {FLOOD} polls")
