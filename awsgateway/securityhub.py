"""Security Hub findings (ASFF, docs/aws.md#security-hub) read and marked resolved; GuardDuty's own format read into
the same dataclass, since EventBridge pushes GuardDuty findings in it (keyed by the finding's ARN, which is the Id
Security Hub gives the same finding, so both arrivals meet on one ticket)."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from . import clients
from .clients import AccountAccess
from .errors import translated_errors

LABELS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")
_PAGE = 100  # GetFindings' largest page
_UPDATE_BATCH = 100  # BatchUpdateFindings' largest batch
_RESOURCES_KEPT = 20


class MalformedFinding(ValueError):
    """A finding missing what it must carry; ``str()`` says what."""


@dataclass(frozen=True)
class Resource:
    type: str
    id: str
    region: str = ""
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SecurityFinding:
    id: str
    product_arn: str
    product: str  # "Security Hub", "GuardDuty", "Inspector", …: ProductName
    account_id: str
    region: str
    title: str
    description: str
    severity_label: str  # one of LABELS
    workflow_status: str  # NEW|NOTIFIED|SUPPRESSED|RESOLVED; "" when not said (GuardDuty's own format)
    record_state: str  # ACTIVE|ARCHIVED
    compliance_status: str  # PASSED|WARNING|FAILED|NOT_AVAILABLE, "" when not a control finding
    updated_at: datetime
    types: tuple[str, ...]
    resources: tuple[Resource, ...]
    remediation_url: str = ""


def _text(value: Any, limit: int = 10_000) -> str:
    if not isinstance(value, str):
        return ""
    if len(value) > limit:
        raise MalformedFinding(f"A value of {len(value)} characters is longer than AWS ever sends ({limit}).")
    return value


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):  # botocore parses the API's timestamps; pushed events carry ISO 8601 strings
        return value
    try:
        moment = datetime.fromisoformat(_text(value, 40).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _account_id(value: Any) -> str:
    account_id = _text(value, 12)
    if not (len(account_id) == 12 and account_id.isascii() and account_id.isdigit()):
        raise MalformedFinding("The finding names no valid AWS account.")
    return account_id


def from_asff(raw: Any) -> SecurityFinding:
    """One finding in the AWS Security Finding Format, as GetFindings returns it and EventBridge pushes it."""
    raw = _dict(raw)
    finding_id, product_arn = _text(raw.get("Id"), 512), _text(raw.get("ProductArn"), 2048)
    updated_at = _time(raw.get("UpdatedAt"))
    if not finding_id or not product_arn or updated_at is None:
        raise MalformedFinding("A finding needs Id, ProductArn and UpdatedAt.")
    severity = _dict(raw.get("Severity"))
    label = _text(severity.get("Label")).upper() or _label_of(severity.get("Normalized"))
    resources = [
        Resource(
            type=_text(r.get("Type"), 256),
            id=_text(r.get("Id"), 512),
            region=_text(r.get("Region"), 30),
            tags=tuple((str(k), str(v)) for k, v in _dict(r.get("Tags")).items()),
        )
        for r in raw.get("Resources") or []
        if isinstance(r, dict)
    ]
    return SecurityFinding(
        id=finding_id,
        product_arn=product_arn,
        product=_text(raw.get("ProductName"), 100) or product_arn.rsplit("/", 1)[-1],
        account_id=_account_id(raw.get("AwsAccountId")),
        region=_text(raw.get("Region"), 30),
        title=_text(raw.get("Title"), 256),
        description=_text(raw.get("Description"), 1024),
        severity_label=label if label in LABELS else "INFORMATIONAL",
        workflow_status=_text(_dict(raw.get("Workflow")).get("Status"), 20) or "NEW",
        record_state=_text(raw.get("RecordState"), 20) or "ACTIVE",
        compliance_status=_text(_dict(raw.get("Compliance")).get("Status"), 20),
        updated_at=updated_at,
        types=tuple(_text(t, 256) for t in raw.get("Types") or [] if isinstance(t, str)),
        resources=tuple(resources[:_RESOURCES_KEPT]),
        remediation_url=_text(_dict(_dict(raw.get("Remediation")).get("Recommendation")).get("Url"), 512),
    )


def _label_of(normalized: Any) -> str:
    """Findings from before Severity.Label: Normalized 90-100 critical, 70-89 high, 40-69 medium, 1-39 low."""
    if isinstance(normalized, bool) or not isinstance(normalized, int | float):
        return "INFORMATIONAL"
    for floor, label in ((90, "CRITICAL"), (70, "HIGH"), (40, "MEDIUM"), (1, "LOW")):
        if normalized >= floor:
            return label
    return "INFORMATIONAL"


def guardduty_label(severity: float) -> str:
    """GuardDuty's number as its console names it: 9.0-10.0 critical, 7.0-8.9 high, 4.0-6.9 medium, else low."""
    for floor, label in ((9.0, "CRITICAL"), (7.0, "HIGH"), (4.0, "MEDIUM")):
        if severity >= floor:
            return label
    return "LOW"


def _guardduty_resources(detail: dict[str, Any], region: str) -> tuple[Resource, ...]:
    resource = _dict(detail.get("resource"))
    kind = _text(resource.get("resourceType"), 100)
    instance = _dict(resource.get("instanceDetails"))
    key = _dict(resource.get("accessKeyDetails"))
    ident = _text(instance.get("instanceId"), 100) or _text(key.get("accessKeyId"), 100) or _text(key.get("userName"))
    tags = tuple(
        (str(t.get("key", "")), str(t.get("value", ""))) for t in instance.get("tags") or [] if isinstance(t, dict)
    )
    return (Resource(type=kind, id=ident, region=region, tags=tags),) if kind or ident else ()


def from_guardduty(detail: Any) -> SecurityFinding:
    """A GuardDuty finding in GuardDuty's own format (the ``detail`` of a "GuardDuty Finding" event)."""
    detail = _dict(detail)
    arn, region = _text(detail.get("arn"), 512), _text(detail.get("region"), 30)
    updated_at = _time(detail.get("updatedAt"))
    severity = detail.get("severity")
    if not arn or updated_at is None or isinstance(severity, bool) or not isinstance(severity, int | float):
        raise MalformedFinding("A GuardDuty finding needs arn, updatedAt and a numeric severity.")
    partition = _text(detail.get("partition"), 20) or "aws"
    archived = _dict(detail.get("service")).get("archived") is True
    return SecurityFinding(
        id=arn,  # Security Hub's Id for the same finding
        product_arn=f"arn:{partition}:securityhub:{region}::product/aws/guardduty",
        product="GuardDuty",
        account_id=_account_id(detail.get("accountId")),
        region=region,
        title=_text(detail.get("title"), 256),
        description=_text(detail.get("description"), 1024),
        severity_label=guardduty_label(float(severity)),
        workflow_status="",  # a Security Hub notion: the finding's workflow there is left as it is
        record_state="ARCHIVED" if archived else "ACTIVE",  # archiving in GuardDuty archives it in Security Hub
        compliance_status="",
        updated_at=updated_at,
        types=(_text(detail.get("type"), 256),),
        resources=_guardduty_resources(detail, region),
    )


def _filters(since: datetime | None) -> dict[str, Any]:
    if since is None:  # a first poll: what is live now
        return {
            "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
            "WorkflowStatus": [{"Value": s, "Comparison": "EQUALS"} for s in ("NEW", "NOTIFIED")],
        }
    # Later polls: every change the finding's provider made (archived ones too), whatever the workflow
    until = datetime.now(UTC) + timedelta(hours=1)  # both ends are required; AWS's clock may run ahead of ours
    return {"UpdatedAt": [{"Start": _iso(since), "End": _iso(until)}]}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def findings(access: AccountAccess, region: str | None, *, since: datetime | None) -> Iterator[SecurityFinding]:
    """Findings of a region (all linked regions where the account aggregates), page by page: memory stays flat."""
    paginator = clients.client_for(access, "securityhub", region=region).get_paginator("get_findings")
    with translated_errors():
        pages = paginator.paginate(Filters=_filters(since), PaginationConfig={"PageSize": _PAGE})
        for page in pages:
            for raw in page.get("Findings", []):
                yield from_asff(raw)


@dataclass(frozen=True)
class Unprocessed:
    id: str
    error_code: str
    error_message: str


def findings_resolve(
    access: AccountAccess, region: str | None, *, findings: Sequence[tuple[str, str]], note: str, by: str
) -> list[Unprocessed]:
    """Set Workflow.Status RESOLVED with a note on (Id, ProductArn) pairs; what Security Hub would not update."""
    client = clients.client_for(access, "securityhub", region=region)
    refused = []
    with translated_errors():
        for start in range(0, len(findings), _UPDATE_BATCH):
            batch = findings[start : start + _UPDATE_BATCH]
            response = client.batch_update_findings(
                FindingIdentifiers=[{"Id": i, "ProductArn": p} for i, p in batch],
                Workflow={"Status": "RESOLVED"},
                Note={"Text": note[:512], "UpdatedBy": by[:512]},
            )
            refused += [
                Unprocessed(u["FindingIdentifier"]["Id"], u.get("ErrorCode", ""), u.get("ErrorMessage", ""))
                for u in response.get("UnprocessedFindings", [])
            ]
    return refused
