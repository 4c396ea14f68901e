"""Reads that span the domains: what an account page shows below its settings, and the AWS panel on a ticket."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from tickets import policies
from tickets.selectors import ticket_pk, tickets_visible_to

from .accounts.models import AwsAccount, PollRun, Source
from .alarms.models import Alarm
from .cases.models import SupportCase
from .cases.services.opening import case_refusal
from .findings.models import Finding, FindingGroup, TrustedAdvisorCategory
from .health.models import HealthEvent
from .maintenance import selectors as maintenance
from .maintenance.models import MaintenanceWindow
from .security.models import SecurityFinding

RECENT_RUNS = 10
UPCOMING_WINDOWS = 5


@dataclass(frozen=True)
class AccountActivity:
    latest: list[tuple[str, PollRun | None]]  # (source label, its latest poll)
    recent: list[PollRun]
    open_findings: int
    open_savings: Decimal
    windows: list[MaintenanceWindow]
    members: int


def account_activity(*, account: AwsAccount) -> AccountActivity:
    """What the account page shows below its settings: a fixed number of queries, however busy the account."""
    polled = {Source.ORGANIZATIONS: account.is_organization_manager, Source.SECURITY_HUB: account.security_hub_enabled}
    sources = [s for s in Source if polled.get(s, True)]
    latest_of_each = Q()
    for source in sources:
        latest_of_each |= Q(
            pk__in=PollRun.objects.filter(account=account, source=source).order_by("-started_at").values("pk")[:1]
        )
    latest = {run.source: run for run in PollRun.objects.filter(latest_of_each)}
    findings = Finding.objects.filter(account=account, is_open=True).aggregate(
        count=Count("pk"), savings=Sum("estimated_monthly_savings")
    )
    now = timezone.now()
    current_or_next = Q(ends_at__gte=now) | Q(ends_at__isnull=True, starts_at__gte=now - timedelta(days=1))
    for_account = Q(account=account) | Q(account__isnull=True)  # a window for all accounts is this one's too
    windows = MaintenanceWindow.objects.filter(current_or_next, for_account).select_related("ticket")
    return AccountActivity(
        latest=[(source.label, latest.get(source)) for source in sources],
        recent=list(PollRun.objects.filter(account=account).order_by("-started_at")[:RECENT_RUNS]),
        open_findings=findings["count"],
        open_savings=findings["savings"] or Decimal(0),
        windows=list(windows.order_by("starts_at")[:UPCOMING_WINDOWS]),
        members=AwsAccount.objects.filter(discovered_by=account).count() if account.is_organization_manager else 0,
    )


FINDINGS_SHOWN = 100


@dataclass(frozen=True)
class TicketAws:
    """What AWS says behind a ticket, for the panel on its page."""

    account: AwsAccount | None
    group: FindingGroup | None
    category_name: str
    open_findings: list[tuple[list[str], Finding]]  # the columns people know a resource by, and the finding
    open_count: int
    cleared_count: int
    open_savings: Decimal
    health_event: HealthEvent | None
    window: MaintenanceWindow | None  # the one its Health event announces
    raised_during: MaintenanceWindow | None  # the one in progress when it was raised
    case: SupportCase | None
    alarm: Alarm | None
    escalate_url: str  # the "Escalate to AWS" form, for those who may open a case now; else empty
    accept_risk_url: str  # for agents of an open Trusted Advisor ticket with flagged resources; else empty
    security_finding: SecurityFinding | None


def ticket_aws(*, user, reference: str) -> TicketAws:
    """The AWS side of a ticket the user may see (404 otherwise), in a fixed number of queries."""
    # The case, the alarm and the Security Hub finding come with the ticket (one-to-one joins): no query of their own
    visible = tickets_visible_to(user).select_related("aws_case", "alarm", "security_finding")
    ticket = get_object_or_404(visible, pk=ticket_pk(reference))
    account = AwsAccount.objects.filter(account_id=ticket.aws_account_id).first() if ticket.aws_account_id else None
    group = FindingGroup.objects.select_related("ta_check").filter(ticket=ticket).first()
    counts: dict[str, Any] = {"open": 0, "cleared": 0, "savings": None}
    open_findings, category_name = [], ""
    if group is not None:
        findings = Finding.objects.filter(group=group)
        counts = findings.aggregate(
            open=Count("pk", filter=Q(is_open=True)),
            cleared=Count("pk", filter=Q(is_open=False)),
            savings=Sum("estimated_monthly_savings", filter=Q(is_open=True)),
        )
        shown = findings.filter(is_open=True).order_by(F("estimated_monthly_savings").desc(nulls_last=True), "pk")
        headings = group.ta_check.shown_headings
        open_findings = [([f.details.get(h, "") for h in headings], f) for f in shown[:FINDINGS_SHOWN]]
        category = TrustedAdvisorCategory.objects.filter(code=group.ta_check.category).first()
        category_name = category.name if category else group.ta_check.category
    event = HealthEvent.objects.filter(ticket=ticket).first()
    window = MaintenanceWindow.objects.filter(health_event=event).first() if event else None
    raised_during = maintenance.ticket_window(ticket=ticket, event=event)
    case = getattr(ticket, "aws_case", None)
    may_work = policies.may_work(user, ticket)
    may_escalate = may_work and not case_refusal(ticket=ticket, account=account, case=case)
    may_accept_risk = may_work and ticket.is_open and counts["open"] > 0
    return TicketAws(
        account=account,
        group=group,
        category_name=category_name,
        open_findings=open_findings,
        open_count=counts["open"],
        cleared_count=counts["cleared"],
        open_savings=counts["savings"] or Decimal(0),
        health_event=event,
        window=window,
        raised_during=raised_during,
        case=case,
        alarm=getattr(ticket, "alarm", None),
        escalate_url=reverse("aws-ticket-case", args=[ticket.reference]) if may_escalate else "",
        accept_risk_url=reverse("aws-ticket-accept-risk", args=[ticket.reference]) if may_accept_risk else "",
        security_finding=getattr(ticket, "security_finding", None),
    )
