import pytest
from celery.app.routes import MapRoute
from django.conf import settings

from supportdesk.celery import app
from supportdesk.queues import DEFAULT, KPIS, NOTIFICATIONS, POLLING, QUEUES, SWEEPS


def test_redis_returns_a_dead_workers_messages_within_minutes_but_never_a_waiting_retry():
    # A message waiting out a retry countdown is unacknowledged too: were the timeout shorter, Redis would deliver
    # it a second time
    app.loader.import_default_modules()
    countdowns = [task.retry_backoff_max for task in app.tasks.values() if getattr(task, "autoretry_for", ())]
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]

    assert countdowns and max(countdowns) < timeout <= 20 * 60


def test_every_task_of_the_project_has_a_route_to_a_queue_of_its_kind():
    # A new task missing from CELERY_TASK_ROUTES would land in the default queue unnoticed, maybe behind a flood
    app.loader.import_default_modules()
    table = MapRoute(settings.CELERY_TASK_ROUTES)
    ours = [name for name in app.tasks if not name.startswith(("celery.", "tests."))]  # tests' own tasks aside

    unrouted = [name for name in ours if table(name) is None]
    unknown = {name: table(name)["queue"] for name in ours if table(name) and table(name)["queue"] not in QUEUES}

    assert "integrations.tasks.health_poll_task" in ours  # autodiscovery found the apps' tasks
    assert unrouted == []
    assert unknown == {}


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("notifications.tasks.notification_deliver_task", NOTIFICATIONS),
        ("paging.tasks.page_step_task", NOTIFICATIONS),
        ("escalation.tasks.escalation_step_task", SWEEPS),
        ("integrations.tasks.trusted_advisor_poll_all_task", SWEEPS),
        ("integrations.tasks.trusted_advisor_poll_task", POLLING),
        ("integrations.tasks.organization_discover_task", POLLING),
        ("kpis.tasks.facts_refresh_task", KPIS),
        ("tickets.tasks.tickets_auto_close_task", DEFAULT),
    ],
)
def test_a_queued_task_goes_to_the_queue_of_its_kind(task, queue):
    app.loader.import_default_modules()
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_every_queue_is_declared_for_workers_started_per_queue():
    assert {q.name for q in app.conf.task_queues} == set(QUEUES)
    assert app.conf.task_default_queue == DEFAULT
