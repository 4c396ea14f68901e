from django.conf import settings

from supportdesk.celery import app


def test_redis_returns_a_dead_workers_messages_within_minutes_but_never_a_waiting_retry():
    # A message waiting out a retry countdown is unacknowledged too: were the timeout shorter, Redis would deliver
    # it a second time
    app.loader.import_default_modules()
    countdowns = [task.retry_backoff_max for task in app.tasks.values() if getattr(task, "autoretry_for", ())]
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]

    assert countdowns and max(countdowns) < timeout <= 20 * 60
