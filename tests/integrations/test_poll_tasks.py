import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from awsgateway.errors import AwsThrottled
from integrations import tasks
from integrations.accounts.polls import _file_lock, _lock_key
from integrations.models import PollRun
from tickets.models import Ticket

from .fake_aws import LOW_UTILISATION, idle_instance

pytestmark = pytest.mark.django_db


def test_a_task_run_twice_duplicates_nothing(fake_aws, prod_account):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))

    tasks.trusted_advisor_poll_task.apply(args=[prod_account.pk])
    tasks.trusted_advisor_poll_task.apply(args=[prod_account.pk])

    assert Ticket.objects.filter(kind="aws_finding").count() == 1


def test_a_throttled_poll_retries_and_then_finishes(fake_aws, prod_account, monkeypatch):
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))
    answers = iter([AwsThrottled("AWS is throttling requests; will retry.")])
    real_checks = fake_aws.ta_checks

    def throttled_once(access):
        for exc in answers:
            raise exc
        return real_checks(access)

    monkeypatch.setattr("awsgateway.trusted_advisor.checks", throttled_once)

    result = tasks.trusted_advisor_poll_task.apply(args=[prod_account.pk])

    assert result.successful()
    assert list(PollRun.objects.order_by("started_at").values_list("outcome", flat=True)) == ["failed", "ok"]
    assert Ticket.objects.filter(kind="aws_finding").count() == 1


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextmanager
def _poll_lock_held_elsewhere(name: str, account_id: int):
    """Another worker's poll: the lock taken on its own database session."""
    with psycopg.connect(_database_url(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_lock_key(name, account_id)])
        yield


def test_a_poll_already_running_for_the_account_is_skipped(fake_aws, prod_account):
    with _poll_lock_held_elsewhere("health", prod_account.pk):
        assert tasks.health_poll_task.apply(args=[prod_account.pk]).get() == "skipped: already running"
    assert not PollRun.objects.exists()

    assert tasks.health_poll_task.apply(args=[prod_account.pk]).get() == "done"  # its holder finished


_KILLED_MID_POLL = """
import os, signal, sys
import django
django.setup()
from django.core.cache import cache
from integrations.accounts import tasks
cache.key_prefix = sys.argv[2]  # the test's cache keys (settings name them by process)
tasks.poll_once("health", int(sys.argv[1]), lambda account: os.kill(os.getpid(), signal.SIGKILL))
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded rows
def test_a_poll_whose_worker_was_killed_mid_poll_does_not_block_the_next(fake_aws, prod_account):
    # given: a worker process killed while it polled the account
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test"}
    worker = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_POLL, str(prod_account.pk), cache.key_prefix],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr
    # when: the next poll comes
    result = tasks.health_poll_task.apply(args=[prod_account.pk]).get()
    # then: it runs now, not once a lock timeout lapses
    assert result == "done"
    assert PollRun.objects.filter(account=prod_account, source="health").count() == 1


def test_disabled_accounts_are_not_polled(fake_aws, prod_account, monkeypatch):
    prod_account.enabled = False
    prod_account.save()
    queued = []
    monkeypatch.setattr(tasks.trusted_advisor_poll_task, "delay", queued.append)

    assert tasks.trusted_advisor_poll_all_task(every=0) == 0
    assert tasks.trusted_advisor_poll_task.apply(args=[prod_account.pk]).get() == "skipped: disabled or gone"


def test_accounts_known_to_lack_api_access_are_not_polled_until_their_plan_changes(prod_account, monkeypatch):
    prod_account.support_api = "plan_too_low"
    prod_account.save()
    queued = []
    monkeypatch.setattr(tasks.trusted_advisor_poll_task, "delay", queued.append)
    monkeypatch.setattr(tasks.health_poll_task, "delay", queued.append)

    assert tasks.trusted_advisor_poll_all_task(every=0) == tasks.health_poll_all_task(every=0) == 0
    prod_account.support_api = "available"  # the daily capability check saw an upgrade
    prod_account.save()
    assert tasks.trusted_advisor_poll_all_task(every=0) == tasks.health_poll_all_task(every=0) == 1


def test_poll_records_older_than_ninety_days_are_forgotten(prod_account):
    from datetime import timedelta

    from django.utils import timezone

    def run(days_ago):
        started = timezone.now() - timedelta(days=days_ago)
        return PollRun.objects.create(account=prod_account, source="health", started_at=started, outcome="ok")

    old, recent = run(91), run(89)

    assert tasks.poll_runs_prune_task.apply().get() == 1
    assert list(PollRun.objects.all()) == [recent] and old.pk not in PollRun.objects.values_list("pk", flat=True)


_KILLED_HOLDING_THE_FILE_LOCK = """
import os, signal, sys
import django
django.setup()
from integrations.accounts.polls import _file_lock
with _file_lock("health", int(sys.argv[1])) as held:
    assert held
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_sqlite_demos_poll_lock_is_released_by_a_killed_holder():
    # given: the lock SQLite's demo uses, taken by a process that was then killed
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test"}
    holder = subprocess.run(
        [sys.executable, "-c", _KILLED_HOLDING_THE_FILE_LOCK, "987654"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert holder.returncode == -signal.SIGKILL, holder.stderr
    # then: the next poll takes it, and a poll beside that one is skipped
    with _file_lock("health", 987654) as held, _file_lock("health", 987654) as beside:
        assert (held, beside) == (True, False)


def _polled_every(task, minutes: int | None) -> None:
    """The fan-out's round in Periodic tasks (None: turned off)."""
    PeriodicTask.objects.filter(task=task.name).delete()
    if minutes is not None:
        every, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.create(name=f"{task.name} every {minutes}", task=task.name, interval=every)


def _queued(monkeypatch) -> dict[str, list[int]]:
    queued = {"health": [], "trusted_advisor": []}
    monkeypatch.setattr(tasks.health_poll_task, "delay", queued["health"].append)
    monkeypatch.setattr(tasks.trusted_advisor_poll_task, "delay", queued["trusted_advisor"].append)
    return queued


def test_a_poll_lost_with_its_worker_is_queued_again_within_a_minute_or_two(prod_account, monkeypatch):
    # given: Health every 5 minutes, Trusted Advisor every 30; the Health poll beat queued 1.5 minutes ago was lost
    _polled_every(tasks.health_poll_all_task, 5)
    _polled_every(tasks.trusted_advisor_poll_all_task, 30)
    now = timezone.now()
    for source, minutes_ago in (("health", 6.5), ("trusted_advisor", 10)):
        started = now - timedelta(minutes=minutes_ago)
        PollRun.objects.create(account=prod_account, source=source, started_at=started, outcome="ok")
    queued = _queued(monkeypatch)
    # when: the sweep runs
    with time_machine.travel(now, tick=False):
        count = tasks.polls_overdue_queue_task.apply().get()
    # then: the lost Health poll is queued again; Trusted Advisor is not due
    assert count == 1
    assert queued == {"health": [prod_account.pk], "trusted_advisor": []}


def test_the_overdue_poll_sweep_leaves_polls_on_time_and_rounds_turned_off(prod_account, monkeypatch):
    # given: Health polled 4 minutes ago of every 5; Trusted Advisor's round turned off, never polled
    _polled_every(tasks.health_poll_all_task, 5)
    _polled_every(tasks.trusted_advisor_poll_all_task, None)
    now = timezone.now()
    PollRun.objects.create(account=prod_account, source="health", started_at=now - timedelta(minutes=4), outcome="ok")
    queued = _queued(monkeypatch)
    # when
    with time_machine.travel(now, tick=False):
        count = tasks.polls_overdue_queue_task.apply().get()
    # then
    assert count == 0
    assert queued == {"health": [], "trusted_advisor": []}


def test_a_new_account_is_polled_by_the_sweep_without_waiting_for_the_round(prod_account, monkeypatch):
    _polled_every(tasks.health_poll_all_task, 5)
    _polled_every(tasks.trusted_advisor_poll_all_task, 30)
    queued = _queued(monkeypatch)

    assert tasks.polls_overdue_queue_task.apply().get() == 2
    assert queued == {"health": [prod_account.pk], "trusted_advisor": [prod_account.pk]}


def test_the_overdue_poll_sweep_is_scheduled_every_minute(db):
    periodic = PeriodicTask.objects.get(task="integrations.tasks.polls_overdue_queue_task")
    assert periodic.enabled and periodic.interval.schedule.run_every == timedelta(minutes=1)
