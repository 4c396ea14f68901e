"""The periodic schedule (supportdesk/schedule.py) is synced into django-celery-beat by every `migrate`."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from supportdesk.celery import app
from supportdesk.schedule import SCHEDULE, Every

pytestmark = pytest.mark.django_db

OURS = (
    "accounts.",
    "tickets.",
    "integrations.",
    "notifications.",
    "escalation.",
    "rules.",
    "chat.",
    "oncall.",
    "paging.",
    "kpis.",
    "readiness.",
    "demo.",
    "supportdesk.",
)


def _migrate() -> None:
    call_command("migrate", verbosity=0, stdout=StringIO())


def _rows() -> dict[str, PeriodicTask]:
    return {row.name: row for row in PeriodicTask.objects.select_related("interval", "crontab")}


def test_after_migrate_every_entry_exists_once_with_its_task_and_timing():
    rows = _rows()
    for name, entry in SCHEDULE.items():
        row = rows[name]
        assert row.task == entry.task
        assert row.enabled
        if isinstance(entry.when, Every):
            assert (row.interval.every, row.interval.period, row.crontab) == (entry.when.every, entry.when.period, None)
        else:
            fields = vars(entry.when)  # minute, hour, day_of_week, day_of_month, month_of_year
            assert row.interval is None
            assert {field: getattr(row.crontab, field) for field in fields} == fields


def test_migrating_again_duplicates_nothing():
    before = (PeriodicTask.objects.count(), IntervalSchedule.objects.count(), CrontabSchedule.objects.count())
    _migrate()
    _migrate()
    after = (PeriodicTask.objects.count(), IntervalSchedule.objects.count(), CrontabSchedule.objects.count())
    assert after == before
    assert PeriodicTask.objects.filter(name__in=SCHEDULE).count() == len(SCHEDULE)


def test_a_deleted_entry_comes_back_on_migrate():
    PeriodicTask.objects.filter(name="Poll AWS Health").delete()
    _migrate()
    assert PeriodicTask.objects.get(name="Poll AWS Health").task == "integrations.tasks.health_poll_all_task"


def test_an_admins_row_is_untouched_and_an_admins_timing_of_ours_is_kept():
    # given: an admin's own task, and ours moved to every 10 minutes and disabled, its task name mangled
    every_day, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.DAYS)
    mine = PeriodicTask.objects.create(
        name="My report", task="kpis.tasks.facts_refresh_task", interval=every_day, args="[1]", enabled=False
    )
    ten, _ = IntervalSchedule.objects.get_or_create(every=10, period=IntervalSchedule.MINUTES)
    ours = PeriodicTask.objects.get(name="Poll AWS Health")
    ours.interval, ours.enabled, ours.task, ours.args = ten, False, "integrations.tasks.gone_task", "[7]"
    ours.save()
    # when
    _migrate()
    # then: the admin's row as it was; ours keeps the admin's timing and switch, with our task and arguments back
    row = PeriodicTask.objects.get(pk=mine.pk)
    assert (row.task, row.interval_id, row.args, row.enabled) == (
        "kpis.tasks.facts_refresh_task",
        every_day.pk,
        "[1]",
        False,
    )
    ours.refresh_from_db()
    assert (ours.interval_id, ours.enabled, ours.task, ours.args) == (
        ten.pk,
        False,
        SCHEDULE["Poll AWS Health"].task,
        "[]",
    )


def test_every_scheduled_task_is_a_registered_task():
    app.loader.import_default_modules()
    assert {entry.task for entry in SCHEDULE.values()} <= set(app.tasks)


def test_every_task_of_ours_has_a_time_limit_under_the_brokers_redelivery():
    app.loader.import_default_modules()
    ours = [task for name, task in app.tasks.items() if name.startswith(OURS)]
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]  # Redis redelivers after it
    assert len(ours) > 20
    for task in ours:
        hard = task.time_limit or app.conf.task_time_limit
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        assert hard and soft, task.name
        assert soft < hard < visibility, task.name
