"""The AWS estate behind the dashboard's AWS panels, over the seeded tickets: 50 accounts, 200,000 Trusted Advisor
findings (10 per ticket, two years of them, about 60% resolved, savings on the cost checks) and 20,000 Health events
affecting a few resources each. Written through the ORM in bulk; once, like the tickets (python -m tools.bench.kpis)."""

import logging
import random
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models.functions import Mod
from django.utils import timezone

from integrations.models import AwsAccount, Finding, FindingGroup, HealthEvent, TrustedAdvisorCheck
from tickets.models import Queue, Ticket

log = logging.getLogger("bench.seed")

ACCOUNTS = 50
GROUPS = 20_000  # finding tickets, one per account, check and resource group
FINDINGS_PER_GROUP = 10
HEALTH_EVENTS = 20_000
CATEGORIES = ["cost_optimizing", "security", "fault_tolerance", "performance", "service_limits"]
SERVICES = ["EC2", "RDS", "LAMBDA", "ELASTICLOADBALANCING", "S3", "EKS"]
BATCH = 5_000


@transaction.atomic
def aws_estate_seed() -> tuple[int, int]:
    """(findings, Health events) in the database: seeded now, or by an earlier run."""
    if Finding.objects.exists():
        return Finding.objects.count(), HealthEvent.objects.count()
    rng, now = random.Random(2026), timezone.now()
    with_account = Ticket.objects.exclude(aws_account_id="")
    every = max(1, with_account.count() // (GROUPS + HEALTH_EVENTS))  # spread over the whole history
    tickets = list(
        with_account.annotate(nth=Mod("pk", every))
        .filter(nth=0)
        .order_by("?")
        .values_list("pk", "aws_account_id", "created_at")[: GROUPS + HEALTH_EVENTS]
    )
    queue = Queue.objects.earliest("pk")  # the default queue, seeded by a migration
    account_ids = sorted({account_id for _, account_id, _ in tickets})[:ACCOUNTS]
    environments = [e.value for e in Ticket.Environment]
    accounts = {
        account_id: AwsAccount.objects.create(
            account_id=account_id,
            name=f"Bench account {n:02}",
            owner_queue=queue,
            environment=environments[n % len(environments)],
        )
        for n, account_id in enumerate(account_ids)
    }
    tickets = [t for t in tickets if t[1] in accounts]
    checks = TrustedAdvisorCheck.objects.bulk_create(
        TrustedAdvisorCheck(check_id=f"bench{n:03}", name=f"Bench check {n:03}", category=CATEGORIES[n % 5])
        for n in range(60)
    )
    groups = FindingGroup.objects.bulk_create(
        (
            FindingGroup(
                account=accounts[account_id],
                ta_check=checks[n % len(checks)],
                resource_key=f"g{n}",
                ticket_id=ticket_id,
            )
            for n, (ticket_id, account_id, _) in enumerate(tickets[:GROUPS])
        ),
        batch_size=BATCH,
    )
    findings = []
    for group, (_, _, created_at) in zip(groups, tickets[:GROUPS], strict=True):
        check = checks[group.ta_check_id - checks[0].pk]
        for k in range(FINDINGS_PER_GROUP):
            first_seen = created_at + timedelta(hours=k)
            resolved = first_seen + timedelta(days=rng.randint(1, 60)) if rng.random() < 0.6 else None
            findings.append(
                Finding(
                    account_id=group.account_id,
                    ta_check=check,
                    resource_key=f"r{k}-{group.pk}",
                    group=group,
                    resource_id=f"res-{group.pk}-{k}",
                    region="eu-west-1",
                    status="warning",
                    fingerprint="bench",
                    estimated_monthly_savings=Decimal(rng.randint(500, 50_000)) / 100
                    if check.category == "cost_optimizing"
                    else None,
                    first_seen_at=first_seen,
                    changed_at=first_seen,
                    is_open=resolved is None or resolved > now,
                    resolved_at=resolved if resolved and resolved <= now else None,
                )
            )
    Finding.objects.bulk_create(findings, batch_size=BATCH)

    def impaired() -> list[dict]:
        return [{"value": f"i-{rng.randint(0, 5000):05}", "status": "IMPAIRED"} for _ in range(rng.randint(1, 3))]

    events = [
        HealthEvent(
            account=accounts[account_id],
            arn=f"arn:aws:health:eu-west-1::event/bench/{n}",
            ticket_id=ticket_id,
            service=SERVICES[n % len(SERVICES)],
            event_type_code="AWS_BENCH_EVENT",
            region="eu-west-1",
            category=rng.choice(["issue", "issue", "scheduledChange", "accountNotification"]),
            status="closed",
            start_time=created_at,
            last_updated_at=created_at,
            entities=impaired(),
        )
        for n, (ticket_id, account_id, created_at) in enumerate(tickets[GROUPS:])
    ]
    for event in events:
        event.entity_count = len(event.entities)
    HealthEvent.objects.bulk_create(events, batch_size=BATCH)
    log.info(
        "AWS estate: %s accounts, %s findings, %s Health events",
        len(accounts),
        f"{len(findings):,}",
        f"{len(events):,}",
    )
    return len(findings), len(events)


def aws_estate_vacuum() -> None:
    """Statistics for the planner, and the visibility map that index-only scans need (autovacuum's job in use)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) integrations_finding, integrations_findinggroup, integrations_healthevent")
