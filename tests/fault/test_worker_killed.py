"""A real Celery worker, killed (SIGKILL, with its pool) again and again while it polls the AWS sandbox: nothing is
lost, nothing doubled, and the polls it dropped are done again within the sweep's grace, not a lock's timeout."""

import itertools
import os
import random
import re
import signal
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from kombu import Connection

from integrations import tasks
from integrations.models import AwsAccount, FindingGroup, HealthEvent
from supportdesk.celery import app
from tickets.models import Queue, Ticket
from tools.sandbox.scale import scale
from tools.sandbox.scenario import Clock

from .processes import (
    BASE_DIR,
    PYTHON,
    WORKER,
    Process,
    Redis,
    children,
    database_url_under_test,
    django_env,
    free_port,
    listening,
    wait_until,
)

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ACCOUNTS, RESOURCES, EVENTS = 6, 3000, 300  # enough that a poll lasts long enough to be killed in
KILLS = 3
RECOVERY_SECONDS = 60


def _rounds_as_in_production() -> None:
    """Health every 5 minutes, Trusted Advisor every 30: longer than this test, so only the sweep can recover."""
    for fan_out, minutes in ((tasks.health_poll_all_task, 5), (tasks.trusted_advisor_poll_all_task, 30)):
        every, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.filter(task=fan_out.name).delete()
        PeriodicTask.objects.create(name=fan_out.name, task=fan_out.name, interval=every)


def _polls(log, outcome: str) -> list[str]:
    return re.findall(rf"Task integrations\.tasks\.\w+_poll_task\[([\w-]+)\] {outcome}", log.read_text())


def _received_twice(log) -> bool:
    return any(times > 1 for times in Counter(_polls(log, "received")).values())


def _polls_in_flight(log) -> set[str]:
    # The worker takes no more than its pool runs (acks_late, prefetch 1 per process): received is running
    return set(_polls(log, "received")) - set(_polls(log, "(?:succeeded|raised|retry)"))


def _expected(epoch: datetime) -> tuple[set[tuple[str, str]], int]:
    """The (account, check) groups Trusted Advisor flags in the sandbox, and its Health events."""
    world = scale(Clock(epoch, 30), accounts=ACCOUNTS, resources=RESOURCES, events=EVENTS)
    groups = {(account, f.check_id) for account, findings in world.findings.items() for f in findings}
    return groups, sum(len(events) for events in world.events.values())


def _ticketed() -> tuple[set[tuple[str, str]], int]:
    groups = set(FindingGroup.objects.values_list("account__account_id", "ta_check__check_id"))
    return groups, HealthEvent.objects.filter(ticket__isnull=False).count()


def test_a_worker_killed_mid_poll_loses_nothing_and_doubles_nothing(tmp_path):
    # given: our own broker, the AWS sandbox, and accounts it knows
    redis, epoch, sandbox_port = Redis(), datetime.now(UTC).replace(microsecond=0), free_port()
    aws_log = tmp_path / "sandbox.log"  # a line per AWS call: a poll is running while it grows
    sandbox = Process(
        [
            PYTHON,
            "-m",
            "tools.sandbox",
            "--port",
            str(sandbox_port),
            "--epoch",
            epoch.isoformat(),
            "--accounts",
            str(ACCOUNTS),
            "--resources",
            str(RESOURCES),
            "--events",
            str(EVENTS),
            "--verbose",
        ],
        cwd=BASE_DIR,
        log=aws_log,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    queue = Queue.objects.order_by("pk").first()
    AwsAccount.objects.bulk_create(
        AwsAccount(
            account_id=str(300_000_000_000 + i),
            name=f"Fault {i}",
            owner_queue=queue,
            support_plan="enterprise",
            role_arn=f"arn:aws:iam::{300_000_000_000 + i}:role/SupportdeskRead",
        )
        for i in range(ACCOUNTS)
    )
    _rounds_as_in_production()
    expected_groups, expected_events = _expected(epoch)
    env = django_env(
        DATABASE_URL=database_url_under_test(),
        REDIS_URL=redis.url,
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{sandbox_port}",
        AWS_ACCESS_KEY_ID="sandbox",
        AWS_SECRET_ACCESS_KEY="sandbox",
        AWS_DEFAULT_REGION="us-east-1",
    )
    numbers = itertools.count(1)

    def start_worker() -> Process:
        log = tmp_path / f"worker-{next(numbers)}.log"  # one each: what the last one did is in its own
        return Process([PYTHON, *WORKER, "--concurrency", "2", "--loglevel", "INFO"], env=env, log=log, cwd=BASE_DIR)

    broker = Connection(redis.url)
    worker = None
    try:
        wait_until(lambda: listening(sandbox_port), seconds=30, what="the sandbox listening")
        # when: beat's rounds are queued, and the worker is killed mid-poll, restarted at once, KILLS times
        for fan_out in (tasks.trusted_advisor_poll_all_task, tasks.health_poll_all_task):
            app.send_task(fan_out.name, kwargs={"every": 0}, connection=broker)  # all at once: polls to kill
        mid_poll = 0

        def polling_aws() -> None:
            calls = aws_log.stat().st_size
            # generous: a worker boots and takes the task in seconds, but the suite shares the machine
            wait_until(lambda: aws_log.stat().st_size > calls, seconds=120, step=0.05, what="a poll calling AWS")

        for _ in range(KILLS):
            worker = start_worker()
            polling_aws()
            time.sleep(random.uniform(0, 0.5))
            mid_poll += bool(_polls_in_flight(worker.log))
            worker.kill()
        killed_at = time.monotonic()
        worker = start_worker()
        sweep = "integrations.tasks.polls_overdue_queue_task"  # beat's minute job, here every 2 s
        app.send_task(sweep, connection=broker)
        polling_aws()
        # and once its pool processes alone: the worker hands their polls back to the broker (acks_late and
        # reject_on_worker_lost), and takes them again at once
        for child in children(worker.popen.pid):
            os.kill(child, signal.SIGKILL)
        redelivered = wait_until(lambda: _received_twice(worker.log), seconds=30, what="a poll redelivered")

        # then: the sweep finds what the kills lost; every group and event gets its ticket within the recovery time
        def recovered() -> bool:
            app.send_task(sweep, connection=broker)
            groups, events = _ticketed()
            return groups >= expected_groups and events >= expected_events

        wait_until(recovered, seconds=RECOVERY_SECONDS, step=2, what="every group and event ticketed")
        recovery = time.monotonic() - killed_at
    finally:
        if worker:
            worker.kill()
        sandbox.kill()
        redis.stop()
        broker.release()

    groups, events = _ticketed()
    assert groups == expected_groups and events == expected_events
    # nothing doubled: one ticket per group and per event, no orphan from a killed transaction
    kinds = Counter(Ticket.objects.values_list("kind", flat=True))
    assert kinds == {"aws_finding": len(expected_groups), "aws_health": expected_events}
    assert mid_poll >= 1
    print(
        f"\npool processes killed: a poll redelivered in {redelivered:.1f} s; {KILLS} SIGKILLs ({mid_poll} mid-poll), "
        f"{ACCOUNTS} accounts, {RESOURCES} resources, {EVENTS} events: "
        f"{len(expected_groups)} groups and {expected_events} events ticketed, 0 lost, 0 doubled; "
        f"recovered {recovery:.1f} s after the last kill"
    )
