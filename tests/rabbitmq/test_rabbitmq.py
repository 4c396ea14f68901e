"""RabbitMQ as the broker, for real: the worker processes of a deployment on the machine's RabbitMQ, with the
settings CELERY_BROKER_URL=amqp://… gives them (publisher confirms, durable queues, quorum queues when asked)."""

import ast
import time

import amqp
import kombu
import pytest

from accounts.roles import Role
from notifications.models import Channel, Notification, QueueChannel
from supportdesk.queues import QUEUES
from tickets.models import Queue

from ..factories import UserFactory
from ..fault.processes import wait_until

# transaction=True: the workers and the filing process read what the test commits
committed = pytest.mark.django_db(transaction=True)

FILE_A_TICKET = (
    "from accounts.models import User; from tickets.models import Severity; "
    "from tickets.services import ticket_create; "
    "print(ticket_create(requester=User.objects.get(email='{email}'), title='Disk full', "
    "severity=Severity.objects.get(name='SEV3')).reference)"
)


@pytest.fixture
def hooked(webhook):
    """The default queue tells a webhook of every new ticket; a requester to file them."""
    channel = Channel.objects.create(
        name="Hook", kind=Channel.Kind.WEBHOOK, webhook_url=webhook.url, webhook_secret="a-secret-of-sixteen-chars"
    )
    QueueChannel.objects.create(queue=Queue.objects.get(is_default=True), channel=channel)
    return UserFactory(role=Role.REQUESTER), channel


@committed
def test_a_ticket_filed_reaches_its_webhook_once_through_rabbitmq(portal, vhost, webhook, hooked):
    # given: a worker on every queue, on RabbitMQ
    requester, _ = hooked
    deployment = portal()
    deployment.worker()
    # when: a ticket is filed (its notification is queued after the commit)
    reference = deployment.run(FILE_A_TICKET.format(email=requester.email))
    # then: the worker delivers it, once; the queues are durable and left empty
    wait_until(lambda: Notification.objects.filter(status="sent").exists(), seconds=20, what="the notification sent")
    notification = Notification.objects.get()
    assert notification.ticket.reference == reference
    time.sleep(1)  # a second delivery would have time to arrive
    assert webhook.accepted == {notification.key: 1} and webhook.attempts == {notification.key: 1}
    queues = vhost.queues()
    assert {name: (q["type"], q["durable"]) for name, q in queues.items() if name in QUEUES} == {
        name: ("classic", "true") for name in QUEUES
    }
    assert all(queues[name]["messages_ready"] == queues[name]["messages_unacknowledged"] == "0" for name in QUEUES)


@committed
@pytest.mark.fault
def test_a_worker_killed_mid_task_has_its_task_redelivered_at_once_and_done_once(portal, vhost, webhook, hooked):
    # given: a worker sending a ticket's notification, its webhook not answering yet
    requester, _ = hooked
    deployment = portal()
    first = deployment.worker()
    webhook.release_first.clear()
    deployment.run(FILE_A_TICKET.format(email=requester.email))
    wait_until(lambda: sum(webhook.attempts.values()) == 1, seconds=20, what="the first attempt")
    # when: the worker is killed in the middle of the task (SIGKILL to it and its pool, as a lost node)
    first.kill()
    # then: RabbitMQ has the unacknowledged message back at once (Redis would wait out its visibility timeout)
    wait_until(
        lambda: sum(int(vhost.queues()[name]["messages_ready"]) for name in QUEUES) == 1,
        seconds=10,
        what="the message back in its queue",
    )
    deployment.worker()
    wait_until(lambda: Notification.objects.filter(status="sent").exists(), seconds=20, what="the notification sent")
    notification = Notification.objects.get()
    time.sleep(1)
    assert webhook.attempts == {notification.key: 2}  # the killed attempt, then the redelivered one
    assert webhook.accepted == {notification.key: 1}  # done once
    assert all(vhost.queues()[name]["messages_ready"] == "0" for name in QUEUES)


def test_a_publish_the_broker_refuses_raises_instead_of_vanishing(portal, vhost):
    # given: a queue that takes no message (full at once, refusing new ones), as a broker under a memory alarm or a
    # quorum queue that lost its majority would refuse
    deployment = portal()
    code = (
        "from kombu import Exchange, Queue; from notifications.tasks import notification_deliver_task as t; "
        "q = Queue('refusing', Exchange('refusing', type='topic'), routing_key='refusing', "
        "queue_arguments={'x-max-length': 0, 'x-overflow': 'reject-publish'})\n"
        "try:\n t.apply_async((1,), queue=q); print('published')\n"
        "except Exception as exc: print(type(exc).__name__, type(exc.__cause__).__name__)"
    )
    # when: a task is published to it with our settings
    answer = deployment.run(code)
    # then: publisher confirms make the refusal an error the caller sees (the outbox's sweep re-queues such a row)
    assert answer == "OperationalError MessageNacked"
    assert vhost.queues()["refusing"]["messages_ready"] == "0"


@committed
def test_quorum_mode_declares_durable_quorum_queues_and_keeps_countdowns_in_the_broker(portal, vhost, webhook, hooked):
    # given: the settings for quorum queues, and a worker
    _, channel = hooked
    deployment = portal(CELERY_QUORUM_QUEUES="true")
    deployment.worker()
    # then: every queue exists (a passive declare), durable and of the quorum type (an equivalent declare passes,
    # a classic one is refused as inequivalent), as the broker lists it too
    with kombu.Connection(vhost.url) as connection:
        for name in QUEUES:
            channel_ = connection.channel()  # a refused declare closes its channel
            channel_.queue_declare(name, passive=True)
            channel_.queue_declare(name, durable=True, auto_delete=False, arguments={"x-queue-type": "quorum"})
            with pytest.raises(amqp.exceptions.PreconditionFailed):
                channel_.queue_declare(name, durable=True, auto_delete=False, arguments={"x-queue-type": "classic"})
    assert {n: (q["type"], q["durable"]) for n, q in vhost.queues().items() if n in QUEUES} == {
        n: ("quorum", "true") for n in QUEUES
    }
    # when: a task is queued with a countdown (as escalation and page steps and retries are)
    notification = Notification.objects.create(
        key="countdown:1", channel=channel, event="notice", reason="test", subject="Later", body="Three seconds later"
    )
    started = time.monotonic()
    waiting = deployment.run(
        "from notifications.tasks import notification_deliver_task as t; from supportdesk.celery import app\n"
        f"t.apply_async(({notification.pk},), countdown=3)\n"
        "with app.connection_for_write() as c:\n"
        " print({q: c.default_channel.queue_declare(q, passive=True).message_count\n"
        "  for q in [*(f'celery_delayed_{n}' for n in range(28)), *t.app.amqp.queues]})"
    )
    # then: right after the publish it waits in RabbitMQ's delayed-delivery queues (not in our queues, not held by
    # a worker), and runs when due, once
    counts = ast.literal_eval(waiting)
    assert {q: n for q, n in counts.items() if n} == {"celery_delayed_1": 1}  # 3 s = 2 s, then 1 s
    wait_until(lambda: webhook.accepted, seconds=20, what="the delayed notification")
    assert time.monotonic() - started >= 3
    assert webhook.accepted == {"countdown:1": 1}
