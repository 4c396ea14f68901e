"""The SNS inbox: a pushed notification is stored and answered 200, then ingested on the ingestion queue, once,
whatever is lost on the way (the broker down at POST time, a task run twice, AWS unreachable while ingesting)."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from awsgateway import trusted_advisor
from awsgateway.errors import AwsUnavailable
from integrations.models import Finding, SnsMessage, SnsTopic, TrustedAdvisorCheck
from integrations.push import sns
from integrations.tasks import sns_message_ingest_task, sns_messages_requeue_task
from tickets.models import Ticket

from .sns_fakes import TOPIC_ARN, confirmation, notification, signer
from .test_push_and_poll import _pushed
from .test_sns_push import _health_event

pytestmark = pytest.mark.django_db


def test_a_push_is_stored_and_answered_before_its_ticket_is_made(post, topic, aws, broker, prod_account):
    event = _health_event(prod_account.account_id)
    # when
    response = post(signer().sign(notification(event)))
    # then: the row is the promise; the ticket comes from the ingestion queue
    assert response.status_code == 200
    row = SnsMessage.objects.get()
    assert (row.outcome, row.ingested_at, json.loads(row.payload)) == ("queued", None, event)
    assert broker.queued == [row.pk]
    assert not Ticket.objects.exists()

    assert broker.work() == ["opened"]
    row.refresh_from_db()
    assert (row.outcome, row.next_attempt_at) == ("opened", None)
    assert row.ingested_at is not None
    assert Ticket.objects.filter(kind=Ticket.Kind.AWS_HEALTH).count() == 1


def test_a_task_run_twice_and_a_redelivered_post_make_one_ticket(post, topic, aws, broker, prod_account):
    fields = signer().sign(notification(_health_event(prod_account.account_id)))
    post(fields)
    (pk,) = broker.queued
    assert broker.work() == ["opened"]
    # when: a killed worker's task runs again (acks_late), and SNS redelivers the same MessageId
    assert sns_message_ingest_task.apply(args=(pk,)).get() == "skipped"
    assert post(fields).status_code == 200
    # then
    assert broker.queued == []
    assert SnsMessage.objects.get().outcome == "opened"
    assert Ticket.objects.count() == 1


def test_a_broker_down_at_post_time_loses_nothing(post, topic, aws, broker, prod_account):
    broker.down = True
    # when
    response = post(signer().sign(notification(_health_event(prod_account.account_id))))
    # then: answered, kept, and queued by the sweep a minute later
    assert response.status_code == 200
    row = SnsMessage.objects.get()
    assert (row.outcome, row.ingested_at, broker.queued) == ("queued", None, [])

    broker.down = False
    assert sns.sns_messages_requeue(now=row.received_at + timedelta(seconds=59)) == 0  # maybe still on its way
    assert sns.sns_messages_requeue(now=row.received_at + timedelta(seconds=61)) == 1
    assert sns.sns_messages_requeue(now=row.received_at + timedelta(seconds=90)) == 0  # left to the task just queued
    assert broker.work() == ["opened"]
    assert Ticket.objects.filter(kind=Ticket.Kind.AWS_HEALTH).count() == 1
    assert sns.sns_messages_requeue(now=row.received_at + timedelta(hours=1)) == 0  # ingested: never again


def test_a_sweep_with_the_broker_still_down_fails_and_the_next_one_queues(post, topic, aws, broker, prod_account):
    broker.down = True
    post(signer().sign(notification(_health_event(prod_account.account_id))))
    received = SnsMessage.objects.get().received_at
    with pytest.raises(OperationalError):
        sns.sns_messages_requeue(now=received + timedelta(minutes=1))
    broker.down = False
    # the failed sweep changed nothing: the message is still due
    assert sns.sns_messages_requeue(now=received + timedelta(minutes=1, seconds=1)) == 1
    assert broker.work() == ["opened"]


def test_a_message_never_ingested_is_queued_again_less_and_less_often(post, topic, aws, broker, prod_account):
    # given: a message whose every task is lost (no worker consumes the ingestion queue, say)
    post(signer().sign(notification(_health_event(prod_account.account_id))))
    received = SnsMessage.objects.get().received_at
    # when: beat runs the sweep every minute for three hours
    queued_at = [m for m in range(1, 181) if sns.sns_messages_requeue(now=received + timedelta(minutes=m))]
    # then: after as long again as it has waited, at most an hour apart
    assert queued_at == [1, 2, 4, 8, 16, 32, 64, 124]
    assert SnsMessage.objects.get().ingested_at is None


def test_aws_unreachable_while_ingesting_is_retried_and_writes_nothing_half(
    post, topic, aws, broker, prod_account, monkeypatch
):
    # given: a Trusted Advisor push naming a check not learned yet, so ingestion asks AWS for the list
    attempts = []

    def unreachable(access):
        attempts.append(access)
        raise AwsUnavailable("AWS is unreachable; will retry.")

    monkeypatch.setattr(trusted_advisor, "checks", unreachable)
    post(signer().sign(notification(_pushed(prod_account.account_id, "i-1"))))
    # when
    (result,) = broker.work()
    # then: Celery retried (its retries run at once here), and nothing is written but the wait
    assert isinstance(result, AwsUnavailable)
    assert len(attempts) == 1 + sns_message_ingest_task.max_retries
    row = SnsMessage.objects.get()
    assert (row.outcome, row.ingested_at) == ("queued", None)
    assert not (Finding.objects.exists() or Ticket.objects.exists() or TrustedAdvisorCheck.objects.exists())
    # the sweep leaves it to the task's retries while they last, then queues it again
    assert sns.sns_messages_requeue(now=row.received_at + timedelta(minutes=5)) == 0
    assert sns.sns_messages_requeue(now=row.next_attempt_at + timedelta(minutes=1)) == 1


def test_aws_back_by_the_sweep_ingests_the_retried_push(post, topic, aws, broker, prod_account, fake_aws):
    fake_aws.fail_with = AwsUnavailable("AWS is unreachable; will retry.")
    post(signer().sign(notification(_pushed(prod_account.account_id, "i-1"))))
    broker.work()
    fake_aws.fail_with = None
    row = SnsMessage.objects.get()
    # when: a sweep after the retries' window
    assert sns.sns_messages_requeue(now=row.next_attempt_at + timedelta(minutes=1)) == 1
    # then
    assert broker.work() == ["opened"]
    assert Ticket.objects.filter(kind="aws_finding").count() == 1


def test_a_confirmation_is_done_in_the_request_and_never_swept(post, topic, aws, broker):
    assert post(signer().sign(confirmation())).status_code == 200
    row = SnsMessage.objects.get()
    assert row.outcome == "confirmed" and row.ingested_at is not None
    assert broker.queued == []
    assert sns_messages_requeue_task.apply().get() == 0
    assert sns.sns_messages_requeue(now=row.received_at + timedelta(days=1)) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded severities
def test_two_workers_ingesting_one_message_at_once_make_one_ticket(prod_account):
    # given: a message taken and queued twice (the sweep and a late task, say)
    now = timezone.now()
    row = SnsMessage.objects.create(
        message_id="b5f7c2f4-race",
        topic=SnsTopic.objects.create(topic_arn=TOPIC_ARN),
        kind="Notification",
        received_at=now,
        next_attempt_at=now,
        outcome="queued",
        payload=json.dumps(_health_event(prod_account.account_id)),
    )
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def work():
        try:
            start.wait()
            outcomes.append(sns.sns_message_ingest(message_pk=row.pk))
        except Exception as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then: the second waited for the first's lock, then found it ingested
    assert errors == []
    assert sorted(outcomes) == ["opened", "skipped"]
    assert Ticket.objects.filter(kind=Ticket.Kind.AWS_HEALTH).count() == 1
