"""Writes for AWS accounts: what AWS allows each one, and the members an organisation manager discovers."""

from django.db import transaction
from django.utils import timezone

from awsgateway import organizations, support
from awsgateway.clients import AccountAccess
from awsgateway.errors import RETRYABLE, AwsAccessDenied, AwsError, AwsPlanTooLow

from .advice import PLAN_TOO_LOW_NOTE, aws_error_advice
from .models import ApiState, AwsAccount, Source
from .polls import poll_recorded


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
        return _capability_save(account, ApiState.DENIED, [], aws_error_advice(exc))
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


def organization_discover(*, manager: AwsAccount) -> None:
    """Register the organisation's active member accounts, and stop polling members that left or closed.

    Members are reached through ``manager.member_role_name`` in each of them and inherit the manager's owner
    queue, environment and plan until an admin says otherwise; accounts an admin registered are left alone.
    """
    with poll_recorded(manager, Source.ORGANIZATIONS) as counts:
        members = {m.account_id: m for m in organizations.member_accounts(account_access(manager))}
        _members_apply(manager, members, counts)


@transaction.atomic
def _members_apply(manager: AwsAccount, members: dict, counts) -> None:
    # Locked in pk order, as Health locks accounts: two tasks never wait on each other in a circle
    locked = AwsAccount.objects.select_for_update().filter(account_id__in=members).order_by("pk")
    known = {a.account_id: a for a in locked}
    partition = manager.role_arn.split(":")[1] if manager.role_arn else "aws"
    role = manager.member_role_name  # empty: members are reached with the default credential chain
    for account_id, member in members.items():
        account = known.get(account_id)
        if account is None and member.state == "ACTIVE":
            AwsAccount.objects.create(
                account_id=account_id,
                name=member.name[:100] or account_id,
                environment=manager.environment,
                support_plan=manager.support_plan,
                owner_queue=manager.owner_queue,
                discovered_by=manager,
                role_arn=f"arn:{partition}:iam::{account_id}:role/{role}" if role else "",
                external_id=manager.external_id if role else "",
            )
            counts.opened += 1
        elif (
            account is not None
            and account.discovered_by_id == manager.pk
            and account.enabled != (member.state == "ACTIVE")
        ):
            account.enabled = member.state == "ACTIVE"  # suspended or closing accounts answer nothing useful
            account.save(update_fields=["enabled"])
            counts.updated += 1
    gone = AwsAccount.objects.filter(discovered_by=manager, enabled=True).exclude(account_id__in=members)
    counts.resolved += gone.update(enabled=False)
