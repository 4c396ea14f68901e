"""A rule's conditions as one SQL expression, so that applying a rule to a ticket and counting the tickets it
would match ("would match 12 tickets") are the same test."""

from django.db.models import Exists, OuterRef, Q

from integrations.models import FindingGroup, HealthEvent
from tickets.models import Ticket

from .models import Rule


def rule_q(rule: Rule) -> Q:
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
    if rule.min_severity_id:
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
    return q
