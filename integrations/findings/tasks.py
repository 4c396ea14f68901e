"""Trusted Advisor polls: one task per account, and the fan-out beat runs (names as they were in integrations.tasks)."""

from celery import shared_task

from ..accounts.tasks import LONG, RETRY, fan_out_spread, poll_once, pollable
from . import services


@shared_task(name="integrations.tasks.trusted_advisor_poll_task", **RETRY, **LONG)
def trusted_advisor_poll_task(account_id: int) -> str:
    return poll_once("trusted_advisor", account_id, lambda a: services.trusted_advisor_poll(account=a))


@shared_task(name="integrations.tasks.trusted_advisor_poll_all_task", acks_late=True)
def trusted_advisor_poll_all_task(every: int | None = None, window: int = 0) -> int:
    """Queue this minute's share of the round (every account at its slot; ``every=0``: all now)."""
    return fan_out_spread(
        trusted_advisor_poll_all_task, trusted_advisor_poll_task, pollable(), every=every, window=window
    )
