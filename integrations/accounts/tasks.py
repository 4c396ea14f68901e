"""Thin Celery wrappers around the accounts services, and the helpers every domain's poll tasks share. Each task is
safe to run twice (acks_late: a killed worker's task runs again) and retries only when AWS throttles or is
unreachable. Names are explicit: beat's rows and queued messages name the tasks as they were in integrations.tasks."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import shared_task

from awsgateway.errors import RETRYABLE

from . import polls, selectors, services
from .models import ApiState, AwsAccount

RETRY: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": RETRYABLE,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
}
# A poll of a large account (thousands of flagged resources, Health events) may take minutes: past the global limit
LONG: dict[str, Any] = {"soft_time_limit": 14 * 60, "time_limit": 15 * 60}


def enabled(account_id: int) -> AwsAccount | None:
    return AwsAccount.objects.filter(pk=account_id, enabled=True).select_related("owner_queue").first()


def poll_once(name: str, account_id: int, poll: Callable[[AwsAccount], object]) -> str:
    """Skip a poll already running for the account: beat may queue the next before a slow one ends.
    Overlap would be safe (the services lock and dedupe), only wasteful."""
    account = enabled(account_id)
    if account is None:
        return "skipped: disabled or gone"
    with polls.poll_lock(name=name, account_id=account_id) as held:
        if not held:
            return "skipped: already running"
        poll(account)
    return "done"


def fan_out(task, accounts) -> int:
    ids = list(accounts.values_list("pk", flat=True))
    for account_id in ids:
        task.delay(account_id)
    return len(ids)


# A round is walked a minute at a time, each step queueing the next: countdowns stay far below the Redis broker's
# visibility timeout (20 minutes), past which a message held for later would be delivered twice
SPREAD_STEP = timedelta(minutes=1)


def fan_out_spread(fan_out_task, poll_task, accounts, *, every: int | None, window: int) -> int:
    """Queue the polls of one round's ``window`` (seconds from its start, a minute wide): each account at its slot.

    Beat starts a round at its interval (Periodic tasks, admin-editable); the round then queues its next minute
    itself, with the interval it began with, until it is over or turned off. ``every=0``: every account at once.
    The overdue-poll sweep (integrations.tasks) catches a poll lost on the way, and a new account's first."""
    if every is None:  # beat starting a round, or a run by hand
        interval = selectors.poll_interval(task_name=fan_out_task.name)
        every = int(interval.total_seconds()) if interval else 0  # no interval round (off, a crontab): all now
    elif window and selectors.poll_interval(task_name=fan_out_task.name) is None:
        return 0  # turned off in Periodic tasks since the round began
    if every <= SPREAD_STEP.total_seconds():
        return fan_out(poll_task, accounts)
    start, end = timedelta(seconds=window), timedelta(seconds=window) + SPREAD_STEP
    queued = 0
    for account_id in accounts.values_list("pk", flat=True):
        slot = selectors.poll_slot(account_id=account_id, every=timedelta(seconds=every))
        if start <= slot < end:
            poll_task.apply_async(args=[account_id], countdown=(slot - start).total_seconds())
            queued += 1
    if end.total_seconds() < every:
        fan_out_task.apply_async(
            kwargs={"every": every, "window": int(end.total_seconds())}, countdown=SPREAD_STEP.total_seconds()
        )
    return queued


def pollable():
    # A plan without API access is known (the daily capability check says when that changes): no failing polls
    return AwsAccount.objects.filter(enabled=True).exclude(support_api=ApiState.PLAN_TOO_LOW)


@shared_task(name="integrations.tasks.account_capability_refresh_task", **RETRY)
def account_capability_refresh_task(account_id: int) -> str:
    """Re-check what AWS allows for one account; running it twice only checks twice."""
    account = enabled(account_id)
    if account is None:
        return "skipped"
    return services.account_capability_refresh(account=account).support_api


@shared_task(name="integrations.tasks.accounts_capability_refresh_all_task", acks_late=True)
def accounts_capability_refresh_all_task() -> int:
    """Daily (admin-editable in Periodic tasks): one check per enabled account, each retried on its own."""
    return fan_out(account_capability_refresh_task, AwsAccount.objects.filter(enabled=True))


@shared_task(name="integrations.tasks.organization_discover_task", **RETRY, **LONG)
def organization_discover_task(account_id: int) -> str:
    return poll_once("organizations", account_id, lambda a: services.organization_discover(manager=a))


@shared_task(name="integrations.tasks.organization_discover_all_task", acks_late=True)
def organization_discover_all_task() -> int:
    return fan_out(organization_discover_task, AwsAccount.objects.filter(enabled=True, is_organization_manager=True))


@shared_task(name="integrations.tasks.poll_runs_prune_task", acks_late=True)
def poll_runs_prune_task() -> int:
    """Daily: poll records older than 90 days go (every poll of every account leaves one)."""
    return polls.poll_runs_prune()
