"""Thin Celery wrappers around the services. Each is safe to run twice (acks_late: a killed worker's task runs
again) and retries only when AWS throttles or is unreachable."""

from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.utils import timezone

from tickets.models import Ticket

from . import selectors, services
from .aws.errors import RETRYABLE
from .models import ApiState, AwsAccount, Source, SupportCase

_RETRY: dict[str, Any] = {"acks_late": True, "autoretry_for": RETRYABLE, "retry_backoff": True,
                          "retry_backoff_max": 600, "max_retries": 8}  # fmt: skip


def _enabled(account_id: int) -> AwsAccount | None:
    return AwsAccount.objects.filter(pk=account_id, enabled=True).select_related("owner_queue").first()


def _poll_once(name: str, account_id: int, poll: Callable[[AwsAccount], object]) -> str:
    """Skip a poll already running for the account: beat may queue the next before a slow one ends.
    Overlap would be safe (the services lock and dedupe), only wasteful."""
    account = _enabled(account_id)
    if account is None:
        return "skipped: disabled or gone"
    with services.poll_lock(name=name, account_id=account_id) as held:
        if not held:
            return "skipped: already running"
        poll(account)
    return "done"


@shared_task(**_RETRY)
def account_capability_refresh_task(account_id: int) -> str:
    """Re-check what AWS allows for one account; running it twice only checks twice."""
    account = _enabled(account_id)
    if account is None:
        return "skipped"
    return services.account_capability_refresh(account=account).support_api


@shared_task(acks_late=True)
def accounts_capability_refresh_all_task() -> int:
    """Daily (admin-editable in Periodic tasks): one check per enabled account, each retried on its own."""
    return _fan_out(account_capability_refresh_task, AwsAccount.objects.filter(enabled=True))


@shared_task(**_RETRY)
def trusted_advisor_poll_task(account_id: int) -> str:
    return _poll_once("trusted_advisor", account_id, lambda a: services.trusted_advisor_poll(account=a))


@shared_task(**_RETRY)
def health_poll_task(account_id: int) -> str:
    return _poll_once("health", account_id, lambda a: services.health_poll(account=a))


@shared_task(**_RETRY)
def organization_discover_task(account_id: int) -> str:
    return _poll_once("organizations", account_id, lambda a: services.organization_discover(manager=a))


def _fan_out(task, accounts) -> int:
    ids = list(accounts.values_list("pk", flat=True))
    for account_id in ids:
        task.delay(account_id)
    return len(ids)


def _pollable():
    # A plan without API access is known (the daily capability check says when that changes): no failing polls
    return AwsAccount.objects.filter(enabled=True).exclude(support_api=ApiState.PLAN_TOO_LOW)


@shared_task(acks_late=True)
def trusted_advisor_poll_all_task() -> int:
    return _fan_out(trusted_advisor_poll_task, _pollable())


def _health_pollable():
    # Members of an organisation whose manager reads Health for all of them are not polled one by one
    managed = AwsAccount.objects.filter(
        enabled=True, discovered_by__enabled=True, discovered_by__is_organization_manager=True
    )
    return _pollable().exclude(pk__in=managed)


@shared_task(acks_late=True)
def health_poll_all_task() -> int:
    return _fan_out(health_poll_task, _health_pollable())


@shared_task(acks_late=True)
def polls_overdue_queue_task() -> int:
    """Every minute: queue again each poll that beat queued and nobody finished (its worker was killed; the broker
    would hold the message for its visibility timeout), and a new account's first, each at the pace of its round."""
    now = timezone.now()
    rounds = [
        (trusted_advisor_poll_all_task, trusted_advisor_poll_task, Source.TRUSTED_ADVISOR, _pollable()),
        (health_poll_all_task, health_poll_task, Source.HEALTH, _health_pollable()),
    ]
    queued = 0
    for fan_out, poll, source, accounts in rounds:
        every = selectors.poll_interval(task_name=fan_out.name)
        if every is not None:  # polling turned off in Periodic tasks stays off
            queued += _fan_out(poll, selectors.accounts_overdue_for_poll(accounts, source=source, every=every, now=now))
    return queued


@shared_task(acks_late=True)
def organization_discover_all_task() -> int:
    return _fan_out(organization_discover_task, AwsAccount.objects.filter(enabled=True, is_organization_manager=True))


@shared_task(**_RETRY)
def support_cases_sync_task(account_id: int) -> str:
    return _poll_once("support_cases", account_id, lambda a: services.support_cases_sync(account=a))


@shared_task(acks_late=True)
def support_cases_sync_all_task() -> int:
    """Every 5 minutes (admin-editable in Periodic tasks): each account with a case opening or open, on its own."""
    live = SupportCase.objects.filter(state__in=[SupportCase.State.OPENING, SupportCase.State.OPEN])
    return _fan_out(support_cases_sync_task, AwsAccount.objects.filter(enabled=True, pk__in=live.values("account_id")))


@shared_task(acks_late=True)
def poll_runs_prune_task() -> int:
    """Daily: poll records older than 90 days go (every poll of every account leaves one)."""
    return services.poll_runs_prune()


@shared_task(**_RETRY)
def support_case_open_automatically_task(ticket_id: int, severity: str, reason: str) -> str:
    """Open the AWS case a rule or an escalation step asked for, after the change that asked committed; the cases
    service refuses a second case for the ticket, so a re-run opens nothing more."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return "skipped: ticket gone"
    case = services.support_case_open_automatically(ticket=ticket, wanted_severity=severity, reason=reason)
    return (case.case_id or "opening") if case else "not opened"
