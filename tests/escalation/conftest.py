from datetime import UTC, datetime, time, timedelta
from functools import partial

import pytest
import time_machine
from django.db import connection

from escalation import tasks
from escalation.models import BusinessCalendar, EscalationPolicy, EscalationStep, WorkingHours
from integrations import tasks as aws_tasks

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning, in London and in UTC


@pytest.fixture
def clock():
    """The clock frozen at T0; tests move it with clock.shift(...) or clock.move_to(...)."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _waiting(task_method) -> list[partial]:
    # Tests run in a transaction that never commits, so what the code queues for after the commit waits here.
    return [cb for _, cb, _ in connection.run_on_commit if isinstance(cb, partial) and cb.func == task_method]


def queued_steps() -> list[tuple[int, str, float]]:
    """Step tasks the changes so far would send: (escalation id, token, countdown in seconds)."""
    return [(*cb.keywords["args"], cb.keywords["countdown"]) for cb in _waiting(tasks.escalation_step_task.apply_async)]


def queued_cases() -> list[tuple]:
    """AWS cases the changes so far would ask for: (ticket id, severity, reason)."""
    return [cb.args for cb in _waiting(aws_tasks.support_case_open_automatically_task.delay)]


def calendar(name: str = "London office", zone: str = "Europe/London") -> BusinessCalendar:
    """Monday to Friday, nine to five."""
    cal = BusinessCalendar.objects.create(name=name, time_zone=zone)
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=cal, weekday=day, opens=time(9), closes=time(17)) for day in range(5)
    )
    return cal


def escalation_policy(
    *steps: tuple[str, timedelta] | tuple[str, timedelta, str], name: str = "Page"
) -> EscalationPolicy:
    policy = EscalationPolicy.objects.create(name=name)
    for position, (action, delay, *severity) in enumerate(steps, start=1):
        EscalationStep.objects.create(
            policy=policy, position=position, action=action, delay=delay, aws_severity=severity[0] if severity else ""
        )
    return policy
