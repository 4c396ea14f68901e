"""SNS pushes: the topic allow-list, verification, redelivery and subscription confirmation around EventBridge events.

A message id is taken in the same transaction as what the message does: a crash rolls both back so SNS's retry
runs it again, while a redelivery of a finished message changes nothing.
"""

import json
import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from awsgateway import sns_signature as sns
from awsgateway.sns_signature import SnsEnvelope, SnsMalformed, SnsRejected
from supportdesk.errors import DomainError

from . import services
from .models import SnsMessage, SnsTopic

logger = logging.getLogger("integrations.sns")

DUPLICATE = "duplicate"


class SnsTopicRefused(SnsRejected):
    """A topic nobody registered here, or one an admin disabled: anyone can point a genuine topic at us."""


def sns_push_receive(*, message: SnsEnvelope, message_type: str, now: datetime | None = None) -> str:
    """Refuse a delivery (``SnsRejected``), or handle it once and say what it did.

    ``message_type`` is the x-amz-sns-message-type header. An ``AwsUnavailable`` (a fetch from SNS, or the
    ingestion, failed on the way) leaves nothing taken, so SNS's retry runs it again.
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
        message_id=message.message_id, defaults={"topic": topic, "kind": message.type, "received_at": now}
    )
    if not created:
        return DUPLICATE
    changes = {"last_message_at": now}
    if message.type == sns.SUBSCRIPTION_CONFIRMATION:
        # A new confirmation for a confirmed topic (say, after re-subscribing) confirms again: AWS treats that as
        # a no-op. Inside the transaction: if confirming fails, the id is not taken and SNS's retry tries again.
        sns.sns_subscription_confirm(message=message)
        changes["confirmed_at"] = now
        row.outcome = "confirmed"
    else:
        row.outcome = _event_ingest(message)
    row.save(update_fields=["outcome"])
    SnsTopic.objects.filter(pk=topic.pk).update(**changes)
    return row.outcome


def _event_ingest(message: SnsEnvelope) -> str:
    try:
        event = json.loads(message.message)  # JSON inside JSON: docs/aws.md#eventbridge-via-sns
    except (ValueError, RecursionError):
        event = None
    if not isinstance(event, dict):
        return "ignored: not an EventBridge event"  # a test message from the SNS console, say
    try:
        with transaction.atomic():  # an event refused part way leaves no half-written ticket
            return services.eventbridge_event_ingest(event=event)
    except DomainError as exc:
        # Genuine, but unusable as it stands: a retry would not help, so it is taken, with the reason
        logger.warning("SNS message %r from %r refused by ingestion: %s", message.message_id, message.topic_arn, exc)
        return f"refused: {exc}"[: SnsMessage._meta.get_field("outcome").max_length]
