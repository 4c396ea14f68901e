"""Trusted Advisor through the Support API (us-east-1); keyed on check id because names change."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from botocore.exceptions import ClientError

from . import clients
from .clients import AccountAccess
from .errors import translated_errors

SAVINGS_HEADING = "Estimated Monthly Savings"


@dataclass(frozen=True)
class TaCheck:
    id: str
    name: str
    category: str
    description: str
    headings: tuple[str, ...]


@dataclass(frozen=True)
class TaFlaggedResource:
    check_id: str
    resource_id: str
    status: str
    region: str
    is_suppressed: bool
    details: dict[str, str]
    estimated_monthly_savings: Decimal | None


@dataclass(frozen=True)
class TaCheckResult:
    check_id: str
    status: str  # ok|warning|error|not_available today; treated as an open set
    timestamp: datetime | None
    resources_flagged: int
    estimated_monthly_savings: Decimal | None
    flagged: tuple[TaFlaggedResource, ...]


def parse_money(value: Any) -> Decimal | None:
    """Decimal from a number or a display string like "$1,234.50"; None when it is not money."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().replace("$", "").replace(",", "")
    if not text:
        return None
    try:
        amount = Decimal(text)  # str() first: a float would carry binary noise into Decimal
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _parse_timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)  # the API sends a string, e.g. "2026-11-27T09:00:00Z"
    except ValueError:
        return None


def checks(access: AccountAccess) -> list[TaCheck]:
    with translated_errors():
        response = clients.client_for(access, "support").describe_trusted_advisor_checks(language="en")
    return [
        TaCheck(
            id=c["id"],
            name=c["name"],
            category=c["category"],
            description=c["description"],
            headings=tuple(h or "" for h in c.get("metadata", [])),
        )
        for c in response.get("checks", [])
    ]


def _flagged(check: TaCheck, raw: dict[str, Any]) -> TaFlaggedResource:
    # metadata is positional: its order matches the check's headings. Real responses contain nulls.
    values = ["" if v is None else str(v) for v in raw.get("metadata", [])]
    details = dict(zip(check.headings, values, strict=False))
    return TaFlaggedResource(
        check_id=check.id,
        resource_id=raw["resourceId"],
        status=raw["status"],
        region=raw.get("region", ""),
        is_suppressed=raw.get("isSuppressed", False),
        details=details,
        estimated_monthly_savings=parse_money(details.get(SAVINGS_HEADING)),
    )


def check_result(access: AccountAccess, check: TaCheck) -> TaCheckResult:
    with translated_errors():
        response = clients.client_for(access, "support").describe_trusted_advisor_check_result(
            checkId=check.id, language="en"
        )
    result = response["result"]
    cost = result.get("categorySpecificSummary", {}).get("costOptimizing")
    return TaCheckResult(
        check_id=result["checkId"],
        status=result["status"],
        timestamp=_parse_timestamp(result.get("timestamp")),
        resources_flagged=result.get("resourcesSummary", {}).get("resourcesFlagged", 0),
        estimated_monthly_savings=parse_money(cost["estimatedMonthlySavings"]) if cost else None,
        flagged=tuple(_flagged(check, r) for r in result.get("flaggedResources", [])),
    )


def refresh(access: AccountAccess, check_id: str) -> int | None:
    """Ask for a refresh; millis until the next one is allowed, or None for checks AWS refreshes itself."""
    client = clients.client_for(access, "support")
    with translated_errors():
        try:
            response = client.refresh_trusted_advisor_check(checkId=check_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidParameterValue":
                return None  # auto-refreshed checks reject manual refreshes
            raise
    return response["status"]["millisUntilNextRefreshable"]
