"""EventBridge events pushed through SNS, fed to the same code as polling so both make one ticket."""

import logging
from typing import Any

from awsgateway import cloudwatch, eventbridge
from awsgateway.errors import RETRYABLE, AwsError
from supportdesk.errors import DomainError

from ..accounts.models import AwsAccount
from ..accounts.polls import PollCounts
from ..alarms.services import alarm_change_apply
from ..findings.services import check_named, findings_apply, flagged_from_push
from ..health.services import EventView, health_events_record
from ..security.services import security_findings_record

log = logging.getLogger(__name__)


class EventRefused(DomainError):
    """An event that cannot be used as it is; str() says why."""


def _outcome(counts: PollCounts) -> str:
    for name in ("opened", "resolved", "updated"):
        if getattr(counts, name):
            return name
    return "unchanged"


def _account(account_id: str) -> AwsAccount | None:
    return AwsAccount.objects.filter(account_id=account_id, enabled=True).select_related("owner_queue").first()


def _accounts(account_ids: set[str]):
    return AwsAccount.objects.filter(account_id__in=account_ids, enabled=True).select_related("owner_queue")


def eventbridge_event_ingest(*, event: dict[str, Any]) -> str:
    """Apply one pushed event: "opened", "updated", "resolved", "unchanged" or "ignored: <why>"."""
    source = event.get("source") if isinstance(event, dict) else None
    counts = PollCounts()
    try:
        if source == "aws.health":
            pushed = eventbridge.health_event(event)
            account = _account(pushed.account_id)
            if account is None:
                return f"ignored: account {pushed.account_id} is not registered or is disabled"
            view = EventView(account, pushed.event, pushed.description, list(pushed.entities), len(pushed.entities))
            health_events_record(views=[view], counts=counts, merge_entities=True)
        elif source == "aws.trustedadvisor":
            item = eventbridge.trusted_advisor_item(event)
            account = _account(item.account_id)
            if account is None:
                return f"ignored: account {item.account_id} is not registered or is disabled"
            try:
                check = check_named(account=account, name=item.check_name)
            except RETRYABLE:
                raise
            except AwsError as exc:  # the account's polls cannot read the checks either
                return f"ignored: check “{item.check_name}” not known, and AWS's list could not be read: {exc}"
            if check is None:
                return f"ignored: AWS lists no check named “{item.check_name}”"
            flagged = flagged_from_push(check, item)
            findings_apply(
                account=account,
                check=check,
                flagged=[flagged],
                cleared_keys=[flagged.key],
                counts=counts,
            )
        elif source in ("aws.securityhub", "aws.guardduty"):
            findings = eventbridge.security_findings(event)
            accounts = {a.account_id: a for a in _accounts({f.account_id for f in findings})}
            found = [(accounts[f.account_id], f) for f in findings if f.account_id in accounts]
            if not found:
                return "ignored: the findings name no registered, enabled account"
            security_findings_record(found=found, counts=counts)
        elif source == "aws.cloudwatch" and event.get("detail-type") == "CloudWatch Alarm State Change":
            return _alarm_apply(cloudwatch.alarm_event(event))
        else:
            return "ignored: not an AWS Health, Trusted Advisor, Security Hub, GuardDuty or CloudWatch alarm event"
    except eventbridge.MalformedEvent as exc:
        raise EventRefused(str(exc)) from exc
    return _outcome(counts)


def alarm_message_ingest(*, message: dict[str, Any]) -> str:
    """Apply a CloudWatch alarm's own SNS message (what an alarm action publishes, not an EventBridge event)."""
    try:
        change = cloudwatch.alarm_message(message)
    except eventbridge.MalformedEvent as exc:
        raise EventRefused(str(exc)) from exc
    return _alarm_apply(change)


def _alarm_apply(change: cloudwatch.AlarmChange) -> str:
    account = _account(change.account_id)
    if account is None:
        return f"ignored: account {change.account_id} is not registered or is disabled"
    return alarm_change_apply(account=account, change=change)
