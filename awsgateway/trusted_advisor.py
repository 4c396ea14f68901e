"""Trusted Advisor through the Support API or the newer trustedadvisor API (both us-east-1); keyed on check id
because names change."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from botocore.exceptions import ClientError

from . import clients
from .clients import AccountAccess
from .errors import translated_errors

_SAVINGS_HEADING = "Estimated Monthly Savings"  # some checks add a qualifier: "… (On Demand)"
_NOT_REFRESHABLE = frozenset({"InvalidParameterValueException", "InvalidParameterValue"})  # AWS's code, and moto's


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
    arn: str = ""  # the recommendation resource's ARN, what exclusions name: the newer API's only


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


def savings_in(details: dict[str, str]) -> Decimal | None:
    """The resource's estimated monthly savings, from the first column that names them."""
    heading = next((h for h in details if h.startswith(_SAVINGS_HEADING)), None)
    return parse_money(details[heading]) if heading else None


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
            name=c["name"].strip(),  # pushed events name checks with stray spaces: both sides are stripped
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
        estimated_monthly_savings=savings_in(details),
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
            if exc.response.get("Error", {}).get("Code") in _NOT_REFRESHABLE:
                return None  # auto-refreshed checks reject manual refreshes
            raise
    return response["status"]["millisUntilNextRefreshable"]


# The newer `trustedadvisor` API (docs/aws.md#trusted-advisor-api): the same checks, resources in pages of up to 5,000,
# metadata as maps. Used where the account can call it; otherwise the Support API above answers.

_PAGE = 1000


@dataclass(frozen=True)
class TaRecommendation:
    arn: str
    check_id: str
    status: str  # ok|warning|error


def _ordered_headings(metadata: dict[str, str]) -> tuple[str, ...]:
    # Column headings come as a map keyed "0", "1", …: the positions of the Support API's list
    keys = sorted(metadata, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
    return tuple(metadata[k] or "" for k in keys)


def recommendation_checks(access: AccountAccess) -> list[TaCheck]:
    """Trusted Advisor's checks as the newer API lists them."""
    paginator = clients.client_for(access, "trustedadvisor").get_paginator("list_checks")
    found = []
    with translated_errors():
        for page in paginator.paginate(source="ta_check", language="en"):
            for c in page.get("checkSummaries", []):
                found.append(
                    TaCheck(
                        id=c["id"],
                        name=c["name"].strip(),
                        category=(c.get("pillars") or [""])[0],  # pillars carry the Support API category names
                        description=c.get("description", ""),
                        headings=_ordered_headings(c.get("metadata", {})),
                    )
                )
    return found


def recommendations(access: AccountAccess) -> list[TaRecommendation]:
    """One recommendation per check that has a result; its ARN reads the check's resources."""
    paginator = clients.client_for(access, "trustedadvisor").get_paginator("list_recommendations")
    with translated_errors():
        return [
            TaRecommendation(arn=r["arn"], check_id=r.get("checkArn", "").rsplit("/", 1)[-1], status=r["status"])
            for page in paginator.paginate(type="standard", source="ta_check")
            for r in page.get("recommendationSummaries", [])
        ]


def recommendation_resources(
    access: AccountAccess, check: TaCheck, recommendation_arn: str
) -> Iterator[TaFlaggedResource]:
    """The check's resources, page by page: an account with 100,000 resources never holds them all at once."""
    paginator = clients.client_for(access, "trustedadvisor").get_paginator("list_recommendation_resources")
    positions = {str(i): heading for i, heading in enumerate(check.headings)}
    with translated_errors():
        pages = paginator.paginate(recommendationIdentifier=recommendation_arn, PaginationConfig={"PageSize": _PAGE})
        for page in pages:
            for r in page.get("recommendationResourceSummaries", []):
                details = {positions.get(k, k): "" if v is None else str(v) for k, v in r.get("metadata", {}).items()}
                yield TaFlaggedResource(
                    check_id=check.id,
                    resource_id=r.get("awsResourceId", ""),
                    status=r["status"],
                    region=r.get("regionCode", ""),
                    is_suppressed=r.get("exclusionStatus") == "excluded",
                    details=details,
                    estimated_monthly_savings=savings_in(details),
                    arn=r.get("arn", ""),
                )


_EXCLUSIONS_BATCH = 25  # BatchUpdateRecommendationResourceExclusion's largest


def resources_exclude(access: AccountAccess, arns: Sequence[str]) -> list[str]:
    """Exclude recommendation resources (accepted risks) so Trusted Advisor stops flagging them; AWS's reasons for
    those it would not exclude."""
    client = clients.client_for(access, "trustedadvisor")
    refused = []
    with translated_errors():
        for start in range(0, len(arns), _EXCLUSIONS_BATCH):
            batch = arns[start : start + _EXCLUSIONS_BATCH]
            response = client.batch_update_recommendation_resource_exclusion(
                recommendationResourceExclusions=[{"arn": arn, "isExcluded": True} for arn in batch]
            )
            refused += [
                f"{e.get('errorCode', '')} {e.get('errorMessage', '')}".strip()
                for e in response.get("batchUpdateRecommendationResourceExclusionErrors", [])
            ]
    return refused
