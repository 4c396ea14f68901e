from celery import shared_task

from . import services


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def shift_reminders_task() -> int:
    """Remind each person whose shift starts within half an hour; a rerun sends nothing twice (outbox keys)."""
    return services.shift_reminders_send()
