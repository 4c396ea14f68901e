"""Thin Celery wrappers. Safe to run twice (acks_late: a killed worker's task runs again): delivery locks the row
and sends only what is still pending."""

from celery import shared_task

from . import services
from .retries import BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS, MAX_ATTEMPTS
from .senders import RetryableDeliveryError


# max_retries is a backstop: the row's own attempt count decides when to give up, across sweeps too
@shared_task(acks_late=True, autoretry_for=(RetryableDeliveryError,), retry_backoff=BACKOFF_BASE_SECONDS,
             retry_backoff_max=BACKOFF_MAX_SECONDS, retry_jitter=True, max_retries=MAX_ATTEMPTS)  # fmt: skip
def notification_deliver_task(notification_id: int) -> str:
    return services.notification_deliver(notification_id=notification_id)


@shared_task(acks_late=True)
def notifications_sweep_task() -> int:
    """Every minute (admin-editable in Periodic tasks): re-queue what a dead worker or a broker outage left."""
    return services.notifications_sweep()
