"""The one write that spans the domains: check an account and poll it now (the account page's button)."""

from supportdesk.commit import after_commit_robust

from . import tasks
from .accounts.models import AwsAccount


def account_check_queue(*, account: AwsAccount) -> None:
    """Ask the worker to re-check an account and poll it now, once the caller's transaction commits."""
    queued = [tasks.account_capability_refresh_task, tasks.trusted_advisor_poll_task, tasks.health_poll_task]
    if account.is_organization_manager:
        queued.append(tasks.organization_discover_task)
    for task in queued:
        after_commit_robust(task.delay, account.pk)
