"""The AWS figures: Trusted Advisor findings and savings, Health events in production, and their tickets."""

from datetime import timedelta
from decimal import Decimal

import pytest

from integrations.models import AwsAccount, Finding, FindingGroup, HealthEvent, TrustedAdvisorCheck
from kpis import charts, registry, selectors
from tickets.models import Ticket

from ..factories import TicketFactory
from .conftest import T0, scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(clock, desk):
    """A production and a staging account, each with a cost finding and a Health event."""
    rows = {}
    check = TrustedAdvisorCheck.objects.create(check_id="idle-lb", name="Idle load balancers", category="cost")
    for n, environment in enumerate(["production", "staging"]):
        account = AwsAccount.objects.create(
            account_id=f"11112222333{n}", name=environment, environment=environment, owner_queue=desk
        )
        finding_ticket = TicketFactory(queue=desk, kind=Ticket.Kind.AWS_FINDING, aws_account_id=account.account_id)
        group = FindingGroup.objects.create(account=account, ta_check=check, ticket=finding_ticket)
        Finding.objects.create(
            account=account,
            ta_check=check,
            resource_key=f"lb-{n}",
            group=group,
            status="warning",
            estimated_monthly_savings=Decimal("12.50"),
            fingerprint="x",
            first_seen_at=T0,
            changed_at=T0,
        )
        health_ticket = TicketFactory(queue=desk, kind=Ticket.Kind.AWS_HEALTH, aws_account_id=account.account_id)
        HealthEvent.objects.create(
            account=account,
            arn=f"arn:aws:health:eu-west-1::event/{n}",
            service="EC2",
            event_type_code="AWS_EC2_OPERATIONAL_ISSUE",
            category="issue",
            status="open",
            start_time=T0,
            last_updated_at=T0,
            ticket=health_ticket,
        )
        rows[environment] = (finding_ticket, health_ticket)
    return rows


def test_findings_savings_and_production_health_events(estate):
    values = registry.kpi_values(scope(), now=T0 + timedelta(hours=1))
    assert values["ta_open"] == 2
    assert values["savings_found"] == Decimal("25.00")
    assert values["savings_realised"] == 0
    assert values["health_production"] == 1  # the staging account's event is not production
    Finding.objects.filter(resource_key="lb-0").update(is_open=False, resolved_at=T0 + timedelta(hours=1))
    values = registry.kpi_values(scope(), now=T0 + timedelta(hours=2))
    assert (values["ta_open"], values["savings_realised"]) == (1, Decimal("12.50"))


def test_the_environment_filter_reaches_the_aws_figures(estate):
    staging = scope(environment="staging")
    assert selectors.findings_open_by_category(staging) == [("cost", 1, Decimal("12.50"))]
    assert charts.noisy_checks_chart(staging, now=T0).series[0].values == [1]


def test_aws_drill_downs_list_the_tickets_behind_the_figures(estate):
    production_finding, production_health = estate["production"]
    health = Ticket.objects.filter(pk__in=selectors.aws_drill_ticket_ids(scope(), name="health_production"))
    assert list(health) == [production_health]
    in_production = scope(account="111122223330")
    cost = Ticket.objects.filter(
        pk__in=selectors.aws_drill_ticket_ids(in_production, name="ta_category", category="cost")
    )
    assert list(cost) == [production_finding]
    noisy = Ticket.objects.filter(pk__in=selectors.aws_drill_ticket_ids(scope(), name="ta_check", check="idle-lb"))
    assert noisy.count() == 2
