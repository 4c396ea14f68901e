"""Writes for AWS accounts. Each service is one transaction; AWS is called before it opens."""

from django.db import transaction
from django.utils import timezone

from .aws import support
from .aws.clients import AccountAccess
from .aws.errors import RETRYABLE, AwsAccessDenied, AwsError, AwsPlanTooLow
from .models import ApiState, AwsAccount

PLAN_TOO_LOW_NOTE = (
    "The AWS Support and Health APIs need a Business-level support plan or higher (Business, Business Support+, "
    "Enterprise On-Ramp, Enterprise, Unified Operations). This account's plan does not include them, so Trusted "
    "Advisor checks and Health events cannot be read and AWS Support cases cannot be opened from here."
)


def account_access(account: AwsAccount) -> AccountAccess:
    return AccountAccess(account_id=account.account_id, role_arn=account.role_arn, external_id=account.external_id)


def account_capability_refresh(*, account: AwsAccount) -> AwsAccount:
    """Ask AWS what the account may do (its case severities), and say so in words on the account.

    A throttled or unreachable AWS is noted and re-raised, so the task retries later; the state
    it knew before stays as it was.
    """
    try:
        levels = support.severity_levels(account_access(account))
    except RETRYABLE as exc:
        _capability_save(account, account.support_api, account.case_severities, f"{exc} (last check)")
        raise
    except AwsPlanTooLow:
        return _capability_save(account, ApiState.PLAN_TOO_LOW, [], PLAN_TOO_LOW_NOTE)
    except AwsAccessDenied as exc:
        note = f"{exc} Grant the role support:Describe* and health:Describe* (see README)."
        return _capability_save(account, ApiState.DENIED, [], note)
    except AwsError as exc:
        return _capability_save(account, ApiState.FAILING, account.case_severities, str(exc))
    codes = [level.code for level in levels]
    highest = levels[-1].name if levels else "none"
    note = f"The AWS Support API answers; cases can be opened up to “{highest}”."
    return _capability_save(account, ApiState.AVAILABLE, codes, note)


@transaction.atomic
def _capability_save(account: AwsAccount, state: str, codes: list[str], note: str) -> AwsAccount:
    account.support_api, account.case_severities = state, codes
    account.capability_note, account.capability_checked_at = note[:500], timezone.now()
    account.save(update_fields=["support_api", "case_severities", "capability_note", "capability_checked_at"])
    return account


def account_capability_check_queue(*, account: AwsAccount) -> None:
    """Ask the worker to re-check an account once the caller's transaction commits."""
    from .tasks import account_capability_refresh_task  # tasks import services: import here, not at the top

    transaction.on_commit(lambda: account_capability_refresh_task.delay(account.pk), robust=True)
