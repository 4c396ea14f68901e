"""The finance view: cost-optimisation findings and their estimated monthly savings, found and realised.

Open now: flagged today, whatever the period. Found: first seen in the period. Realised: cleared in the period
and still cleared (a finding that came back has no resolved_at). Money stays Decimal from SQL to the page.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from integrations.models import Finding
from tickets.models import Ticket

from .filters import KpiScope
from .trends import period_bounds, scope_findings

COST_CATEGORY = "cost_optimizing"  # AWS's category code, as seeded in integrations
FINDINGS_SHOWN = 50
MEASURES = ("open_now", "found", "realised")
MONEY_COLUMNS = ["Open now", "Open now US$/month", "Found", "Found US$/month", "Realised", "Realised US$/month"]
TABLES = {"accounts": "By account", "checks": "By check", "findings": "Findings with the largest savings"}


@dataclass
class FinanceReport:
    by_account: list[dict]
    by_check: list[dict]
    findings: Sequence[Mapping[str, Any]]
    totals: dict

    def table(self, slug: str) -> tuple[list[str], list[list], list[str]] | None:
        """A table as the page shows it and the CSV holds it: columns, rows, and where each row's first cell leads."""
        if slug == "accounts":
            rows = [[r["account__name"], r["account__account_id"], *_measures(r)] for r in self.by_account]
            links = [_tickets_url(account=r["account__account_id"]) for r in self.by_account]
            return ["Account", "Account id", *MONEY_COLUMNS], rows, links
        if slug == "checks":
            return ["Check", *MONEY_COLUMNS], [[r["ta_check__name"], *_measures(r)] for r in self.by_check], []
        if slug == "findings":
            rows = [
                [
                    f"{settings.TICKET_REFERENCE_PREFIX}-{f['group__ticket_id']}",
                    f["account__name"],
                    f["ta_check__name"],
                    f["resource_id"] or f["resource_arn"],
                    f["region"],
                    f["estimated_monthly_savings"],
                    "Open" if f["is_open"] else "Realised",
                    f["resolved_at"].date() if f["resolved_at"] else "",
                ]
                for f in self.findings
            ]
            links = [f"/tickets/{row[0]}/" for row in rows]
            columns = ["Ticket", "Account", "Check", "Resource", "Region", "US$/month", "State", "Resolved"]
            return columns, rows, links
        return None

    def page_table(self, slug: str) -> dict:
        """The same table for the page: money formatted, each row with its link."""
        table = self.table(slug)
        assert table is not None  # a slug of TABLES
        columns, rows, links = table
        shown = [[money(cell) if isinstance(cell, Decimal) else cell for cell in row] for row in rows]
        rows_shown = [(row, links[i] if links else "") for i, row in enumerate(shown)]
        return {"slug": slug, "title": TABLES[slug], "columns": columns, "rows": rows_shown}

    @property
    def headline(self) -> dict[str, str]:
        return {key: money(value) for key, value in self.totals.items() if isinstance(value, Decimal)}

    @property
    def tables(self) -> list[dict]:
        return [self.page_table(slug) for slug in TABLES]

    @property
    def chart(self) -> dict | None:
        if not self.by_account:
            return None
        return {
            "type": "bar",
            "labels": [row["account__name"] for row in self.by_account],
            "datasets": [
                {"label": "Open now (US$/month)", "data": [row["open_now_savings"] for row in self.by_account]},
                {"label": "Found in period", "data": [row["found_savings"] for row in self.by_account]},
                {"label": "Realised in period", "data": [row["realised_savings"] for row in self.by_account]},
            ],
        }


def money(value: Decimal) -> str:
    """AWS estimates savings in US dollars."""
    return f"US${value:,.2f}"


def _measures(row: dict) -> list:
    return [value for m in MEASURES for value in (row[m], row[f"{m}_savings"])]


def _tickets_url(**params: str) -> str:
    return "/tickets/?" + urlencode({"status": "all", "kind": Ticket.Kind.AWS_FINDING} | params)


def _conditions(scope: KpiScope) -> dict[str, Q]:
    start, end = period_bounds(scope)
    return {
        "open_now": Q(is_open=True),
        "found": Q(first_seen_at__gte=start, first_seen_at__lt=end),
        "realised": Q(is_open=False, resolved_at__gte=start, resolved_at__lt=end),
    }


def cost_findings(scope: KpiScope, *, user) -> QuerySet[Finding]:
    """Cost-optimisation findings the period touches: open now, first seen in it, or realised in it."""
    touched = Q()
    for condition in _conditions(scope).values():
        touched |= condition
    return scope_findings(scope, user=user).filter(ta_check__category=COST_CATEGORY).filter(touched)


def _savings(condition: Q) -> Coalesce:
    money: DecimalField = DecimalField(max_digits=16, decimal_places=2)
    return Coalesce(Sum("estimated_monthly_savings", filter=condition), Value(Decimal("0.00")), output_field=money)


def _grouped(scope: KpiScope, *keys: str, user) -> list[dict]:
    annotations: dict[str, Any] = {}
    for name, condition in _conditions(scope).items():
        annotations[name] = Count("pk", filter=condition)
        annotations[f"{name}_savings"] = _savings(condition)
    rows = cost_findings(scope, user=user).values(*keys).annotate(**annotations)
    return list(rows.order_by("-open_now_savings", "-realised_savings", *keys))


def finance_report(*, scope: KpiScope, user, now: datetime | None = None) -> FinanceReport:
    by_account = _grouped(scope, "account__name", "account__account_id", user=user)
    by_check = _grouped(scope, "ta_check__name", user=user)
    # per-account sums added up: each finding belongs to exactly one account
    totals = {
        key: sum((row[key] for row in by_account), Decimal("0.00") if "savings" in key else 0)
        for key in (*MEASURES, *(f"{m}_savings" for m in MEASURES))
    }
    findings = list(
        cost_findings(scope, user=user)
        .values(
            "pk",
            "resource_id",
            "resource_arn",
            "region",
            "is_open",
            "resolved_at",
            "first_seen_at",
            "estimated_monthly_savings",
            "ta_check__name",
            "account__name",
            "group__ticket_id",
        )
        .order_by(Coalesce("estimated_monthly_savings", Value(Decimal(0))).desc(), "pk")[:FINDINGS_SHOWN]
    )
    return FinanceReport(by_account=by_account, by_check=by_check, findings=findings, totals=totals)
