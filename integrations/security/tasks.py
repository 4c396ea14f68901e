"""Security Hub polls, and the write-back of resolutions. Safe to run twice (acks_late); names as in integrations.tasks,
where beat's rows and queued messages find them."""

from celery import shared_task

from ..accounts.models import AwsAccount
from ..accounts.tasks import LONG, RETRY, fan_out_spread, poll_once
from . import services


@shared_task(name="integrations.tasks.security_hub_poll_task", **RETRY, **LONG)
def security_hub_poll_task(account_id: int) -> str:
    return poll_once("security_hub", account_id, lambda a: services.security_hub_poll(account=a))


def security_hub_pollable():
    # Not the support plan's business: Security Hub is paid for by use, on any plan
    return AwsAccount.objects.filter(enabled=True, security_hub_enabled=True)


@shared_task(name="integrations.tasks.security_hub_poll_all_task", acks_late=True)
def security_hub_poll_all_task(every: int | None = None, window: int = 0) -> int:
    """Queue this minute's share of the round (every account that polls Security Hub, at its slot)."""
    return fan_out_spread(
        security_hub_poll_all_task, security_hub_poll_task, security_hub_pollable(), every=every, window=window
    )


@shared_task(name="integrations.tasks.security_finding_write_back_task", **RETRY)
def security_finding_write_back_task(finding_id: int) -> str:
    return services.security_finding_write_back(finding_id=finding_id)


@shared_task(name="integrations.tasks.security_write_backs_requeue_task", acks_late=True)
def security_write_backs_requeue_task() -> int:
    """Every five minutes: queue again the write-backs an outage outlasted or a lost message left undone."""
    ids = services.security_write_backs_requeue()
    for finding_id in ids:
        security_finding_write_back_task.delay(finding_id)
    return len(ids)
