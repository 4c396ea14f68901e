"""SNS pushes: the topic allow-list, verification, redelivery and subscription confirmation around EventBridge events.

A message id is taken, with the message, before the 200: a crash before the commit leaves nothing, so SNS's retry
runs it again, while a redelivery of a message taken changes nothing. A subscription is confirmed in the request; a
notification is ingested by a task on the ingestion queue (docs/operations.md#queues-and-workers).
"""

import json
import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from awsgateway import sns_signature as sns
from awsgateway.cloudwatch import is_alarm_message
from awsgateway.errors import RETRYABLE
from awsgateway.sns_signature import SnsEnvelope, SnsMalformed, SnsRejected
from mail.transports import ses_notification_receive
from supportdesk.commit import after_commit_robust
from supportdesk.errors import DomainError

from . import services, tasks
from .models import SnsMessage, SnsTopic

logger = logging.getLogger("integrations.sns")

DUPLICATE = "duplicate"
QUEUED = "queued"
# A message still pending this long after it was queued was lost on the way (a broker outage, a killed worker)
REQUEUE_AFTER = timedelta(minutes=1)
REQUEUE_MAX = timedelta(hours=1)
REQUEUE_BATCH = 1000
# Longer than the ingest task's retries with backoff last (under 5 minutes): the sweep does not queue a second chain
RETRYING_FOR = timedelta(minutes=10)


class SnsTopicRefused(SnsRejected):
    """A topic nobody registered here, or one an admin disabled: anyone can point a genuine topic at us."""


def sns_push_receive(*, message: SnsEnvelope, message_type: str, now: datetime | None = None) -> str:
    """Refuse a delivery (``SnsRejected``), or handle it once and say what it did.

    ``message_type`` is the x-amz-sns-message-type header. An ``AwsUnavailable`` (a fetch from SNS failed on the
    way) leaves nothing taken, so SNS's retry runs it again. A notification is "queued": ingested later, by a task.
    """
    now = now or timezone.now()
    if message_type != message.type:
        raise SnsMalformed(f"x-amz-sns-message-type {message_type[:40]!r} disagrees with Type {message.type!r}.")
    topic = SnsTopic.objects.filter(topic_arn=message.topic_arn).first()
    # Before verifying: certificates are fetched for the topics an admin registered, and for no others
    if topic is None:
        raise SnsTopicRefused("The topic is not registered.")
    if not topic.enabled:
        raise SnsTopicRefused("The topic is disabled.")
    sns.sns_message_verify(message=message, now=now)
    if message.type == sns.UNSUBSCRIBE_CONFIRMATION:
        # Someone unsubscribed this endpoint: worth a warning, nothing to record
        logger.warning(
            "SNS unsubscribed Supportdesk from %r; pushes stop until it is subscribed again.", topic.topic_arn
        )
        return "unsubscribed"
    return _handle_once(topic=topic, message=message, now=now)


@transaction.atomic
def _handle_once(*, topic: SnsTopic, message: SnsEnvelope, now: datetime) -> str:
    # A concurrent redelivery waits here on the unique message id, then finds it taken
    row, created = SnsMessage.objects.get_or_create(
        message_id=message.message_id,
        defaults={"topic": topic, "kind": message.type, "received_at": now, "payload": message.message},
    )
    if not created:
        return DUPLICATE
    changes = {"last_message_at": now}
    if message.type == sns.SUBSCRIPTION_CONFIRMATION:
        # A new confirmation for a confirmed topic (say, after re-subscribing) confirms again: AWS treats that as
        # a no-op. Inside the transaction: if confirming fails, the id is not taken and SNS's retry tries again.
        sns.sns_subscription_confirm(message=message)
        changes["confirmed_at"] = now
        row.outcome, row.ingested_at = "confirmed", now
    else:
        # The committed row is the promise behind the 200; the ingestion queue does the work. Robust: with the
        # broker down the message still commits, and the sweep queues it later.
        row.outcome, row.next_attempt_at = QUEUED, now + REQUEUE_AFTER
        after_commit_robust(tasks.sns_message_ingest_task.apply_async, (row.pk,), retry=False)
    row.save(update_fields=["outcome", "ingested_at", "next_attempt_at"])
    SnsTopic.objects.filter(pk=topic.pk).update(**changes)
    return row.outcome


def sns_message_ingest(*, message_pk: int, now: datetime | None = None) -> str:
    """Ingest one queued notification and record what it did, once: a second run, or one that waited for a
    concurrent run's lock, finds it ingested and writes nothing ("skipped").

    A retryable AWS error (``RETRYABLE``) rolls everything back and is raised for the task to retry; the message
    stays pending, out of the sweep's way while the task's retries last."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            pending = SnsMessage.objects.filter(pk=message_pk, ingested_at__isnull=True)
            # Not skip_locked: a concurrent run holds it until it commits; this one then sees it ingested
            row = pending.select_for_update(of=("self",)).select_related("topic").first()
            if row is None:
                return "skipped"
            row.outcome = _event_ingest(row)
            row.ingested_at, row.next_attempt_at = now, None
            row.save(update_fields=["outcome", "ingested_at", "next_attempt_at"])
            return row.outcome
    except RETRYABLE:
        SnsMessage.objects.filter(pk=message_pk, ingested_at__isnull=True).update(next_attempt_at=now + RETRYING_FOR)
        raise


def sns_messages_requeue(*, now: datetime | None = None) -> int:
    """Queue again the messages a broker outage or a killed worker left pending; returns how many.

    Each is due again after as long as it has waited (REQUEUE_AFTER to REQUEUE_MAX): a backlog in the ingestion
    queue, or a message that fails every time, is not queued again every minute."""
    now = now or timezone.now()
    with transaction.atomic():
        due = SnsMessage.objects.filter(ingested_at__isnull=True, next_attempt_at__lte=now).order_by("next_attempt_at")
        # skip_locked: a message being ingested right now is not lost
        rows = list(due.select_for_update(skip_locked=True).only("pk", "received_at")[:REQUEUE_BATCH])
        for row in rows:
            # Queued before the commit, without publish retries: with the broker down this raises at once and
            # rolls back, so the next sweep tries again; a task that runs first waits for this lock
            tasks.sns_message_ingest_task.apply_async((row.pk,), retry=False)
            row.next_attempt_at = now + min(max(now - row.received_at, REQUEUE_AFTER), REQUEUE_MAX)
        SnsMessage.objects.bulk_update(rows, ["next_attempt_at"])
    return len(rows)


def _event_ingest(row: SnsMessage) -> str:
    try:
        event = json.loads(row.payload)  # JSON inside JSON: docs/aws.md#eventbridge-via-sns
    except (ValueError, RecursionError):
        event = None
    if not isinstance(event, dict):
        return "ignored: not an EventBridge event"  # a test message from the SNS console, say
    if event.get("notificationType") == "Received":  # mail SES received: docs/aws.md#ses-receiving
        return ses_notification_receive(notification=event)
    try:
        with transaction.atomic():  # an event refused part way leaves no half-written ticket
            if is_alarm_message(event):  # an alarm action publishes its own JSON, not an EventBridge event
                return services.alarm_message_ingest(message=event)
            return services.eventbridge_event_ingest(event=event)
    except DomainError as exc:
        # Genuine, but unusable as it stands: a retry would not help, so it is taken, with the reason
        logger.warning("SNS message %r from %r refused by ingestion: %s", row.message_id, row.topic.topic_arn, exc)
        return f"refused: {exc}"[: SnsMessage._meta.get_field("outcome").max_length]
