"""CloudWatch alarms: one row and one ticket per (account, region, alarm name), following the alarm's state.

``ALARM`` opens the ticket, or reopens it when an earlier episode was resolved; a later ``ALARM`` of the same
episode (after ``INSUFFICIENT_DATA``, say) is a timeline note; ``OK`` resolves it; ``INSUFFICIENT_DATA`` is only
noted. A change older than the one applied last (SNS and EventBridge deliver late and twice) changes nothing.
"""

from dataclasses import replace
from typing import Any

from django.db import transaction

from awsgateway.cloudwatch import ALARM, OK, AlarmChange, console_url
from tickets.models import Severity, Ticket
from tickets.services import NewTicket

from ..accounts.models import AwsAccount
from ..ticketing import services as ticketing
from .models import Alarm, AlarmSeverity, comparison_text, statistic_text

SOURCE = "CloudWatch"
_READABLE = {"ALARM": "in alarm", "OK": "OK", "INSUFFICIENT_DATA": "short of data"}


def _metric(change: AlarmChange) -> dict[str, Any]:
    metric = {
        "name": change.metric,
        "namespace": change.namespace,
        "statistic": change.statistic,
        "dimensions": [list(pair) for pair in change.dimensions],
        "period": change.period,
        "evaluation_periods": change.evaluation_periods,
        "comparison": change.comparison,
        "threshold": change.threshold,
    }
    return {key: value for key, value in metric.items() if value not in ("", None, [])}


def alarm_severity(*, change: AlarmChange) -> Severity | None:
    """The severity of the first of the admin's mappings the alarm matches (a name prefix, or a tag the alarm
    propagated), or None."""
    tags = set(change.tags)
    for mapping in AlarmSeverity.objects.select_related("severity").order_by("position", "pk"):
        if mapping.name_prefix and change.name.startswith(mapping.name_prefix):
            return mapping.severity
        if mapping.tag_key and (mapping.tag_key, mapping.tag_value) in tags:
            return mapping.severity
    return None


def _description(change: AlarmChange) -> str:
    lines = [change.description.strip() or f"CloudWatch alarm {change.name} is in ALARM.", ""]
    if change.is_composite:
        lines.append(f"Composite alarm rule: {change.rule}")
    elif change.metric:
        dimensions = ", ".join(f"{k}={v}" for k, v in change.dimensions)
        lines.append(f"Metric: {change.namespace} {change.metric}" + (f" ({dimensions})" if dimensions else ""))
        if change.comparison:
            condition = comparison_text(change.comparison, change.threshold)
            lines.append(f"In alarm when: {statistic_text(change.statistic) or 'the value'} {condition}")
    lines += [f"Reason: {change.reason}", "", f"Console: {console_url(region=change.region, name=change.name)}"]
    return "\n".join(lines)


def _new_ticket(change: AlarmChange, account: AwsAccount) -> NewTicket:
    production = account.environment == Ticket.Environment.PRODUCTION
    new = ticketing.new_ticket(
        account=account,
        kind=Ticket.Kind.INCIDENT,
        title=f"CloudWatch alarm: {change.name} in {change.region} ({account.name})",
        description=_description(change),
        # unless the admin's mapping says otherwise: by environment, as for Health issues
        rank=ticketing.RANK_PRODUCTION_OUTAGE if production else ticketing.RANK_ISSUE,
        # propagated alarm tags meet the same tag routes as resources' tags
        queue=ticketing.queue_for(account, [dict(change.tags)], ticketing.tag_routes()),
        tags=["cloudwatch", "alarm", *(["composite"] if change.is_composite else [])],
        requester=ticketing.aws_requester(),
    )
    severity = alarm_severity(change=change)
    return replace(new, severity=severity) if severity else new


@transaction.atomic
def alarm_change_apply(*, account: AwsAccount, change: AlarmChange) -> str:
    """Record one pushed state change and keep the alarm's ticket in step: "opened", "reopened", "updated",
    "resolved", "noted" or "unchanged" (a redelivery, a change older than the last applied, or nothing to file)."""
    values = {
        "arn": change.arn,
        "description": change.description,
        "state": change.state,
        "reason": change.reason,
        "state_changed_at": change.changed_at,
        "metric": _metric(change),
        "rule": change.rule,
    }
    # Locked on its key: two deliveries of one alarm apply one after the other, so they cannot file two tickets
    alarm, created = Alarm.objects.select_for_update().get_or_create(
        account=account, region=change.region, name=change.name, defaults=values
    )
    if not created:
        if change.changed_at <= alarm.state_changed_at:
            return "unchanged"
        for field, value in values.items():
            setattr(alarm, field, value)
    filed = ticketing.Changes()
    outcome = _ticket_follow(alarm, change, account, filed)
    alarm.save()
    ticketing.tickets_linked(filed)  # a new ticket meets the rules once linked to its alarm
    return outcome


def _ticket_follow(alarm: Alarm, change: AlarmChange, account: AwsAccount, filed: ticketing.Changes) -> str:
    if alarm.ticket_id is None:
        if change.state != ALARM:
            return "unchanged"  # nothing to resolve or note: no episode has opened a ticket
        [alarm.ticket] = ticketing.ticket_services.tickets_create(new=[_new_ticket(change, account)], record=filed)
        return "opened"
    # Read under its lock: a person may have resolved or reopened it since
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=alarm.ticket_id)
    reason = change.reason.strip()
    if change.state == ALARM and ticket.status not in Ticket.OPEN_STATUSES:
        ticketing.ticket_follow(ticket=ticket, still_open=True, note=f"CloudWatch: in alarm again. {reason}")
        return "reopened"
    if change.state == OK and ticket.status in Ticket.OPEN_STATUSES:
        ticketing.ticket_follow(ticket=ticket, still_open=False, note=f"CloudWatch: the alarm is OK. {reason}")
        return "resolved"
    was = _READABLE.get(change.previous_state, change.previous_state or "unknown")
    ticketing.ticket_services.ticket_aws_update(
        ticket=ticket,
        source=SOURCE,
        summary=f"CloudWatch: {was} → {_READABLE.get(change.state, change.state)}.",
        lines=[reason] if reason else [],
    )
    return "updated" if change.state == ALARM else "noted"
