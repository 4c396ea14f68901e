"""Thin Celery wrappers, each safe to run twice (acks_late): a step carries the page's token, which a second run
finds stale; the sweep runs only what is still due."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def page_step_task(page_id: int, token: str) -> str:
    return services.page_step(page_id=page_id, token=token)


@shared_task(acks_late=True, soft_time_limit=110, time_limit=120)
def pages_sweep_task() -> int:
    """Every minute (admin-editable in Periodic tasks): run the page steps whose timer was lost."""
    return services.pages_sweep()
