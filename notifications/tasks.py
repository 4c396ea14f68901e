"""Thin Celery wrappers. Safe to run twice (acks_late: a killed worker's task runs again): delivery locks the row
and sends only what is still pending."""

from celery import shared_task

from . import services
from .retries import BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS, TASK_RETRIES
from .senders import RetryableDeliveryError
from .slack import SlackUnavailable


# max_retries only ends the quick retries: the row, due again later, is re-queued by the sweep until it gives up
@shared_task(
    acks_late=True,
    autoretry_for=(RetryableDeliveryError,),
    retry_backoff=BACKOFF_BASE_SECONDS,
    retry_backoff_max=BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=TASK_RETRIES,
)
def notification_deliver_task(notification_id: int) -> str:
    return services.notification_deliver(notification_id=notification_id)


@shared_task(acks_late=True)
def notifications_sweep_task() -> int:
    """Every minute (admin-editable in Periodic tasks): re-queue what a dead worker or a broker outage left."""
    return services.notifications_sweep()


@shared_task(
    acks_late=True,
    soft_time_limit=45,
    time_limit=60,
    autoretry_for=(SlackUnavailable,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
)
def slack_card_refresh_task(card_id: int) -> str:
    """A ticket changed: redraw one of its Slack cards (idempotent; retried while Slack is down)."""
    return services.slack_card_refresh(card_id=card_id)
