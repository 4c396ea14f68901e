"""One history and every figure read from it, as JSON: built and read by the same code on PostgreSQL (in the test
process) and on SQLite (the `make run` demo's database, in a subprocess), so the two compare figure by figure.

Nothing here comes from the factories: their sequences differ between the two processes, and so would the names.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command

from integrations.maintenance.selectors import ticket_in_maintenance, ticket_window
from integrations.models import (
    AwsAccount,
    Finding,
    FindingGroup,
    HealthEvent,
    MaintenanceWindow,
    SupportCase,
    TrustedAdvisorCheck,
)
from kpis import charts, finance, registry, selectors, trends
from kpis import services as kpi_services
from kpis.filters import KpiScope
from tickets import services as ticket_services
from tickets.models import Queue, Severity, Ticket

FROZEN = datetime(2026, 11, 18, 14, 30, tzinfo=UTC)  # "now" for both builds: the history is relative to it
ACCOUNTS = {"210987654321": ("Shop production", "production"), "210987654322": ("Shop staging", "staging")}


def history_build() -> None:
    """The demo of `make run` (people, queues, ninety days of tickets) and an AWS estate, at the frozen moment."""
    with time_machine.travel(FROZEN, tick=False):
        call_command("seed_demo", stdout=StringIO())
        call_command("seed_demo_history", stdout=StringIO())  # before the estate: it adds nothing to old tickets
        _estate()
        kpi_services.facts_rebuild()


def _ticket(kind: str, account: AwsAccount, title: str, days_ago: float) -> Ticket:
    with time_machine.travel(FROZEN - timedelta(days=days_ago), tick=False):
        return ticket_services.ticket_create(
            requester=get_user_model().objects.get(email="agent@example.com"),
            title=title,
            kind=kind,
            severity=Severity.objects.get(name="SEV3"),
            queue=account.owner_queue,
            aws_account_id=account.account_id,
            environment=account.environment,
        )


def _estate() -> None:
    """Cost findings found and resolved over two months (savings in cents), and Health events hitting one resource
    twice in production."""
    kinds = [
        ("Idle load balancers", "cost_optimizing"),
        ("Underused EBS volumes", "cost_optimizing"),
        ("Exposed access keys", "security"),
    ]
    checks = [
        TrustedAdvisorCheck.objects.create(check_id=f"demo-{n}", name=name, category=category)
        for n, (name, category) in enumerate(kinds)
    ]
    platform = Queue.objects.get(slug="platform")
    for n, (account_id, (name, environment)) in enumerate(ACCOUNTS.items()):
        account = AwsAccount.objects.create(
            account_id=account_id, name=name, environment=environment, owner_queue=platform
        )
        for k in range(9):
            check = checks[k % 3]
            first_seen = FROZEN - timedelta(days=3 + 7 * k + n, hours=k)
            ticket = _ticket(Ticket.Kind.AWS_FINDING, account, f"{check.name}: res-{k}", (FROZEN - first_seen).days)
            group = FindingGroup.objects.create(account=account, ta_check=check, resource_key=f"res-{k}", ticket=ticket)
            resolved = first_seen + timedelta(days=2, hours=5) if k % 2 else None
            Finding.objects.create(
                account=account,
                ta_check=check,
                resource_key=f"res-{k}",
                group=group,
                resource_id=f"res-{k}",
                region="eu-west-1",
                status="warning",
                fingerprint=f"f{k}",
                first_seen_at=first_seen,
                changed_at=first_seen,
                is_open=resolved is None,
                resolved_at=resolved,
                estimated_monthly_savings=Decimal(f"{12 + k}.{k}5") if check.category == "cost_optimizing" else None,
            )
        for k in range(3):  # AWS cases: two resolved (2 h 10 min and 7 h 20 min), one still open
            opened = FROZEN - timedelta(days=4 + 9 * k + n, hours=3)
            ticket = _ticket(Ticket.Kind.INCIDENT, account, f"Outage {n}-{k}", (FROZEN - opened).days)
            SupportCase.objects.create(
                ticket=ticket,
                account=account,
                case_id=f"case-{n}-{k}",
                state="open" if k == 2 else "resolved",
                severity_code="urgent",
                service_code="amazon-elastic-compute-cloud-linux",
                category_code="other",
                subject=ticket.title,
                body="Down",
                opened_at=opened,
                last_synced_at=opened + timedelta(hours=[2, 7, 1][k], minutes=[10, 20, 0][k]),
            )
        MaintenanceWindow.objects.create(  # the instance hit twice, under maintenance for three weeks
            title=f"Instance i-0a1 maintenance {n}",
            account=account,
            service="EC2",
            resources=["i-0a1"],
            starts_at=FROZEN - timedelta(days=20),
            ends_at=FROZEN + timedelta(days=1),
        )
        impaired = [
            [{"value": "i-0a1"}],
            [{"value": "i-0a1"}, {"value": "i-0b2"}],
            [{"value": "i-0c3"}, "i-0c3", 7, [], {"value": 12}],
            "not a list",
        ]
        for k, entities in enumerate(impaired):
            start = FROZEN - timedelta(days=5 + 11 * k + n)
            HealthEvent.objects.create(
                account=account,
                arn=f"arn:aws:health:eu-west-1::event/EC2/{n}-{k}",
                service="EC2",
                event_type_code="AWS_EC2_INSTANCE_RETIREMENT",
                category="scheduledChange" if k % 2 else "issue",
                status="closed",
                start_time=start,
                last_updated_at=start,
                entity_count=len(entities),
                entities=entities,
                ticket=_ticket(Ticket.Kind.AWS_HEALTH, account, f"Health {n}-{k}", (FROZEN - start).days),
            )


def _plain(value):
    """Numbers as rounded floats (PostgreSQL sums give Decimals, SQLite floats), the rest as text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return round(float(value), 4)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return str(value)


def _scopes() -> dict[str, KpiScope]:
    end = FROZEN.date()
    last30 = {"start": end - timedelta(days=29), "end": end}
    return {
        "7 days": KpiScope(start=end - timedelta(days=6), end=end),
        "30 days": KpiScope(**last30),
        "90 days": KpiScope(start=end - timedelta(days=89), end=end),
        "platform": KpiScope(**last30, queue_id=Queue.objects.get(slug="platform").pk),
        "SEV2": KpiScope(**last30, severity_id=Severity.objects.get(name="SEV2").pk),
        "production": KpiScope(**last30, environment="production"),
        "account": KpiScope(start=end - timedelta(days=89), end=end, account="210987654321"),
    }


def figures() -> dict:
    """Every KPI, chart table, trends table, finance table and drill-down count, for a handful of scopes."""
    manager = get_user_model().objects.get(email="manager@example.com")
    out = {}
    for name, scope in _scopes().items():
        out[f"{name}: KPIs"] = registry.kpi_values(scope, now=FROZEN)
        for key, build in charts.CHARTS.items():
            out[f"{name}: chart {key}"] = build(scope, now=FROZEN).rows()
        for slug, build in trends.SECTIONS.items():
            out[f"{name}: trends {slug}"] = build(user=manager, scope=scope, now=FROZEN).rows
        report = finance.finance_report(scope=scope, user=manager, now=FROZEN)
        tables = {slug: report.table(slug)[1] for slug in finance.TABLES}
        tables["findings"] = [row[1:] for row in tables["findings"]]  # not the ticket reference: ids differ
        out[f"{name}: finance"] = {"totals": report.totals, **tables}
        for drill in selectors.DRILL_SETS:
            ids = selectors.drill_ticket_ids(scope, name=drill, now=FROZEN)
            out[f"{name}: drill {drill}"] = Ticket.objects.filter(pk__in=ids).count()
    in_maintenance = Ticket.objects.filter(ticket_in_maintenance()).order_by("title")
    out["raised during maintenance"] = [
        (ticket.title, ticket_window(ticket=ticket, event=getattr(ticket, "health_event", None)).title)
        for ticket in in_maintenance.select_related("health_event")
    ]
    out["targets"] = [
        (str(target), snapshot and (str(snapshot.day), snapshot.value), met)
        for target, snapshot, met in selectors.targets_with_latest(day=FROZEN.date())
    ]
    return _plain(out)
