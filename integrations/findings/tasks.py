"""Trusted Advisor polls: one task per account, and the fan-out beat runs (names as they were in integrations.tasks)."""

from celery import shared_task

from ..accounts.tasks import LONG, RETRY, fan_out, poll_once, pollable
from . import services


@shared_task(name="integrations.tasks.trusted_advisor_poll_task", **RETRY, **LONG)
def trusted_advisor_poll_task(account_id: int) -> str:
    return poll_once("trusted_advisor", account_id, lambda a: services.trusted_advisor_poll(account=a))


@shared_task(name="integrations.tasks.trusted_advisor_poll_all_task", acks_late=True)
def trusted_advisor_poll_all_task() -> int:
    return fan_out(trusted_advisor_poll_task, pollable())
