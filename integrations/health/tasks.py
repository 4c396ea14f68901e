"""AWS Health polls: one task per account, and the fan-out beat runs (names as they were in integrations.tasks)."""

from celery import shared_task

from ..accounts.models import AwsAccount
from ..accounts.tasks import LONG, RETRY, fan_out_spread, poll_once, pollable
from . import services


@shared_task(name="integrations.tasks.health_poll_task", **RETRY, **LONG)
def health_poll_task(account_id: int) -> str:
    return poll_once("health", account_id, lambda a: services.health_poll(account=a))


def health_pollable():
    # Members of an organisation whose manager reads Health for all of them are not polled one by one
    managed = AwsAccount.objects.filter(
        enabled=True, discovered_by__enabled=True, discovered_by__is_organization_manager=True
    )
    return pollable().exclude(pk__in=managed)


@shared_task(name="integrations.tasks.health_poll_all_task", acks_late=True)
def health_poll_all_task(every: int | None = None, window: int = 0) -> int:
    """Queue this minute's share of the round (every account at its slot; ``every=0``: all now)."""
    return fan_out_spread(health_poll_all_task, health_poll_task, health_pollable(), every=every, window=window)
