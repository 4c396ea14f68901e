"""A rule's conditions, two ways: tested in Python against a ticket's facts (read once for all rules: a ticket
change tests 200 rules in four queries), and as SQL to count the tickets a rule would match before it is saved.
tests/rules/test_rules.py holds both to the same table of cases."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet

from integrations.maintenance.selectors import ticket_in_maintenance
from integrations.models import FindingGroup, HealthEvent
from tickets.models import Ticket

from .models import Rule


@dataclass(frozen=True)
class TicketFacts:
    """What rules look at, for one ticket."""

    kind: str
    environment: str
    account_id: str
    severity_rank: int
    text: str  # title and description, case-folded
    tags: frozenset[str] = field(default_factory=frozenset)
    ta_checks: frozenset[str] = field(default_factory=frozenset)
    ta_categories: frozenset[str] = field(default_factory=frozenset)
    health_services: frozenset[str] = field(default_factory=frozenset)
    health_categories: frozenset[str] = field(default_factory=frozenset)
    in_maintenance: bool = False


def ticket_facts(tickets: QuerySet[Ticket]) -> dict[int, TicketFacts]:
    """Facts for every ticket of the queryset: four queries, however many tickets and rules."""
    rows = list(
        tickets.order_by()
        .annotate(in_maintenance=ticket_in_maintenance())
        .values_list(
            "pk", "kind", "environment", "aws_account_id", "severity__rank", "title", "description", "in_maintenance"
        )
    )
    pks = [row[0] for row in rows]
    tags, checks, categories, services, event_categories = (defaultdict(set) for _ in range(5))
    for pk, name in Ticket.tags.through.objects.filter(ticket_id__in=pks).values_list("ticket_id", "tag__name"):
        tags[pk].add(name)
    groups = FindingGroup.objects.filter(ticket_id__in=pks)
    for pk, check_id, category in groups.values_list("ticket_id", "ta_check__check_id", "ta_check__category"):
        checks[pk].add(check_id)
        categories[pk].add(category)
    for pk, service, category in HealthEvent.objects.filter(ticket_id__in=pks).values_list(
        "ticket_id", "service", "category"
    ):
        services[pk].add(service)
        event_categories[pk].add(category)
    return {
        pk: TicketFacts(
            kind=kind,
            environment=environment,
            account_id=account_id,
            severity_rank=rank,
            text=f"{title}\n{description}".casefold(),
            tags=frozenset(tags[pk]),
            ta_checks=frozenset(checks[pk]),
            ta_categories=frozenset(categories[pk]),
            health_services=frozenset(services[pk]),
            health_categories=frozenset(event_categories[pk]),
            in_maintenance=in_maintenance,
        )
        for pk, kind, environment, account_id, rank, title, description, in_maintenance in rows
    }


def rule_matches(rule: Rule, facts: TicketFacts) -> bool:
    """Every condition given holds; an empty condition holds for any ticket."""
    return (
        (not rule.kinds or facts.kind in rule.kinds)
        and (not rule.environments or facts.environment in rule.environments)
        and (not rule.account_ids or facts.account_id in rule.account_ids)
        and (not rule.tags or not facts.tags.isdisjoint(rule.tags))
        and (not rule.text or rule.text.casefold() in facts.text)
        and (rule.min_severity is None or facts.severity_rank <= rule.min_severity.rank)
        and (not rule.ta_checks or not facts.ta_checks.isdisjoint(rule.ta_checks))
        and (not rule.ta_categories or not facts.ta_categories.isdisjoint(rule.ta_categories))
        and (not rule.health_services or not facts.health_services.isdisjoint(rule.health_services))
        and (not rule.health_categories or not facts.health_categories.isdisjoint(rule.health_categories))
        and (not rule.in_maintenance or facts.in_maintenance)
    )


def rule_q(rule: Rule) -> Q:
    """The same conditions in SQL, to count the tickets a rule would match across the whole table."""
    q = Q()
    if rule.kinds:
        q &= Q(kind__in=rule.kinds)
    if rule.environments:
        q &= Q(environment__in=rule.environments)
    if rule.account_ids:
        q &= Q(aws_account_id__in=rule.account_ids)
    if rule.tags:
        q &= Q(Exists(Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk"), tag__name__in=rule.tags)))
    if rule.text:
        q &= Q(title__icontains=rule.text) | Q(description__icontains=rule.text)
    if rule.min_severity is not None:
        q &= Q(severity__rank__lte=rule.min_severity.rank)
    findings = FindingGroup.objects.filter(ticket_id=OuterRef("pk"))
    if rule.ta_checks:
        q &= Q(Exists(findings.filter(ta_check__check_id__in=rule.ta_checks)))
    if rule.ta_categories:
        q &= Q(Exists(findings.filter(ta_check__category__in=rule.ta_categories)))
    events = HealthEvent.objects.filter(ticket_id=OuterRef("pk"))
    if rule.health_services:
        q &= Q(Exists(events.filter(service__in=rule.health_services)))
    if rule.health_categories:
        q &= Q(Exists(events.filter(category__in=rule.health_categories)))
    if rule.in_maintenance:
        q &= Q(ticket_in_maintenance())
    return q
