"""Pushed messages ingested on the ingestion queue. Safe to run twice (acks_late): the message row is locked and
ingested once. Names are explicit: queued messages and beat's rows name them as in integrations.tasks."""

from celery import shared_task

from ..accounts.tasks import RETRY
from . import sns


@shared_task(name="integrations.tasks.sns_message_ingest_task", **RETRY)
def sns_message_ingest_task(message_pk: int) -> str:
    return sns.sns_message_ingest(message_pk=message_pk)


@shared_task(name="integrations.tasks.sns_messages_requeue_task", acks_late=True)
def sns_messages_requeue_task() -> int:
    """Every minute: queue again the pushed messages a broker outage or a killed worker left pending."""
    return sns.sns_messages_requeue()
