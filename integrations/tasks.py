"""Every Celery task of the app, where Celery's autodiscovery looks (``integrations.tasks``); each domain's tasks are
in its ``tasks.py`` and keep the names they had here, which beat's rows and queued messages use.

Here: the one task that spans domains, queueing again the Trusted Advisor and Health polls that were lost."""

from celery import shared_task
from django.utils import timezone

from .accounts import selectors
from .accounts.models import Source
from .accounts.tasks import (
    account_capability_refresh_task,
    accounts_capability_refresh_all_task,
    fan_out,
    organization_discover_all_task,
    organization_discover_task,
    poll_runs_prune_task,
    pollable,
)
from .cases.tasks import support_case_open_automatically_task, support_cases_sync_all_task, support_cases_sync_task
from .findings.tasks import trusted_advisor_poll_all_task, trusted_advisor_poll_task
from .health.tasks import health_poll_all_task, health_poll_task, health_pollable
from .push.tasks import sns_message_ingest_task, sns_messages_requeue_task
from .security.tasks import (
    security_finding_write_back_task,
    security_hub_poll_all_task,
    security_hub_poll_task,
    security_hub_pollable,
    security_write_backs_requeue_task,
)

__all__ = [
    "account_capability_refresh_task",
    "accounts_capability_refresh_all_task",
    "health_poll_all_task",
    "health_poll_task",
    "organization_discover_all_task",
    "organization_discover_task",
    "poll_runs_prune_task",
    "polls_overdue_queue_task",
    "security_finding_write_back_task",
    "security_hub_poll_all_task",
    "security_hub_poll_task",
    "security_write_backs_requeue_task",
    "sns_message_ingest_task",
    "sns_messages_requeue_task",
    "support_case_open_automatically_task",
    "support_cases_sync_all_task",
    "support_cases_sync_task",
    "trusted_advisor_poll_all_task",
    "trusted_advisor_poll_task",
]


@shared_task(name="integrations.tasks.polls_overdue_queue_task", acks_late=True)
def polls_overdue_queue_task() -> int:
    """Every minute: queue again each poll that beat queued and nobody finished (its worker was killed; the broker
    would hold the message for its visibility timeout), and a new account's first, each at the pace of its round."""
    now = timezone.now()
    rounds = [
        (trusted_advisor_poll_all_task, trusted_advisor_poll_task, Source.TRUSTED_ADVISOR, pollable()),
        (health_poll_all_task, health_poll_task, Source.HEALTH, health_pollable()),
        (security_hub_poll_all_task, security_hub_poll_task, Source.SECURITY_HUB, security_hub_pollable()),
    ]
    queued = 0
    for fan_out_task, poll, source, accounts in rounds:
        every = selectors.poll_interval(task_name=fan_out_task.name)
        if every is not None:  # polling turned off in Periodic tasks stays off
            queued += fan_out(poll, selectors.accounts_overdue_for_poll(accounts, source=source, every=every, now=now))
    return queued
