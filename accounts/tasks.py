from celery import shared_task

from . import services


@shared_task(acks_late=True)
def sessions_expired_clear_task() -> None:
    """Daily: sessions live in the database (behind the cache when there is Redis); expired ones are only read
    as signed out, never deleted, until this runs."""
    services.sessions_expired_clear()
