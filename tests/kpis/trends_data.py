"""Hand-built history for the trends and finance tests: tickets and timelines at explicit times."""

from datetime import UTC, datetime
from decimal import Decimal

import time_machine

from integrations.models import AwsAccount, Finding, FindingGroup, HealthEvent, TrustedAdvisorCheck
from tickets import services
from tickets.models import Ticket

from ..factories import QueueFactory, TicketFactory


def at(text: str) -> datetime:
    """'2026-03-02 10:00' in UTC (the test site's time zone)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ticket_at(when: str, **kwargs) -> Ticket:
    with time_machine.travel(at(when), tick=False):
        return TicketFactory(**kwargs)


def move(ticket: Ticket, when: str, action: str, actor=None) -> Ticket:
    """A workflow step at a given time; actor None is the system, allowed everything."""
    with time_machine.travel(at(when), tick=False):
        return services.ticket_transition(ticket=ticket, actor=actor, action=action, note="because")


def account(account_id: str, name: str, environment: str = "production") -> AwsAccount:
    return AwsAccount.objects.create(
        account_id=account_id, name=name, environment=environment, owner_queue=QueueFactory()
    )


def ta_check(name: str, category: str = "cost_optimizing") -> TrustedAdvisorCheck:
    return TrustedAdvisorCheck.objects.create(check_id=name.lower().replace(" ", "-"), name=name, category=category)


def finding(
    aws: AwsAccount,
    check: TrustedAdvisorCheck,
    key: str,
    *,
    first_seen: str,
    savings: str | None = None,
    resolved: str | None = None,
    ticket: Ticket | None = None,
) -> Finding:
    """A finding in its own group (a ticket per resource), or in the group of `ticket`."""
    group = FindingGroup.objects.filter(ticket=ticket).first() if ticket else None
    if group is None:
        ticket = ticket or ticket_at(first_seen, kind=Ticket.Kind.AWS_FINDING, aws_account_id=aws.account_id)
        group = FindingGroup.objects.create(account=aws, ta_check=check, resource_key=key, ticket=ticket)
    return Finding.objects.create(
        account=aws,
        ta_check=check,
        resource_key=key,
        group=group,
        resource_id=f"res-{key}",
        region="eu-west-1",
        status="warning",
        estimated_monthly_savings=Decimal(savings) if savings else None,
        is_open=resolved is None,
        fingerprint=key,
        first_seen_at=at(first_seen),
        changed_at=at(first_seen),
        resolved_at=at(resolved) if resolved else None,
    )


def health_event(aws: AwsAccount, arn: str, start: str, resources: list[str], service: str = "EC2") -> HealthEvent:
    return HealthEvent.objects.create(
        account=aws,
        arn=arn,
        service=service,
        event_type_code="AWS_EC2_INSTANCE_RETIREMENT",
        category="issue",
        status="closed",
        start_time=at(start),
        last_updated_at=at(start),
        entities=[{"value": r, "status": "IMPAIRED", "tags": {}} for r in resources],
        entity_count=len(resources),
        ticket=ticket_at(start, kind=Ticket.Kind.AWS_HEALTH, aws_account_id=aws.account_id),
    )
