from celery import shared_task

from . import services


@shared_task(acks_late=True)
def tickets_auto_close_task() -> int:
    """Hourly (admin-editable in Periodic tasks): close tickets resolved a while ago. Re-runs are harmless."""
    return services.tickets_auto_close()
