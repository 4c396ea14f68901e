"""Security Hub (``securityhub`` 2018-10-26) in REST-JSON: GetFindings (POST /findings) and BatchUpdateFindings
(PATCH /findings/batchupdate), for the scenario's findings in the AWS Security Finding Format.

Timestamps in ASFF are strings. A workflow status set through BatchUpdateFindings stays set and, as in AWS, does not
move UpdatedAt; a control that passes does (its label becomes INFORMATIONAL, its workflow RESOLVED).
"""

import threading
from datetime import datetime
from typing import Any

from .api import AwsError, Call, moment, out_of_range, page, stamp
from .scenario import SecurityFinding

ROUTES = {("POST", "/findings"): "GetFindings", ("PATCH", "/findings/batchupdate"): "BatchUpdateFindings"}
_PRODUCTS = {"securityhub": ("Security Hub", "AWS"), "guardduty": ("GuardDuty", "Amazon")}


def _id(call: Call, f: SecurityFinding) -> str:
    service = "guardduty" if f.product == "guardduty" else "securityhub"
    return f"arn:aws:{service}:{f.region}:{call.account.id}:{f.key}"


def _product_arn(f: SecurityFinding) -> str:
    return f"arn:aws:securityhub:{f.region}::product/aws/{f.product}"


class SecurityHub:
    throttling = ("TooManyRequestsException", "Rate exceeded", 429)
    plan_refusal = None  # Security Hub is billed by use, not by support plan

    def __init__(self) -> None:
        self._workflow: dict[tuple[str, str], tuple[str, str]] = {}  # (account, Id) → (status, note) set by callers
        self._lock = threading.Lock()

    def operations(self) -> dict:
        return {"GetFindings": self.get_findings, "BatchUpdateFindings": self.batch_update_findings}

    def _findings(self, call: Call) -> list[SecurityFinding]:
        if call.account.id not in call.world.security_findings:
            raise AwsError(
                "InvalidAccessException", f"Account {call.account.id} is not subscribed to AWS Security Hub", 401
            )
        return [f for f in call.world.security_findings[call.account.id] if f.appears <= call.step]

    def _asff(self, call: Call, f: SecurityFinding) -> dict[str, Any]:
        finding_id = _id(call, f)
        passed = f.passes is not None and f.passes <= call.step
        created = stamp(call.world.clock.time(f.appears))
        updated = stamp(call.world.clock.time(f.passes if passed and f.passes is not None else f.appears))
        workflow, note = self._workflow.get((call.account.id, finding_id), ("RESOLVED" if passed else "NEW", ""))
        name, company = _PRODUCTS[f.product]
        label = "INFORMATIONAL" if passed else f.label
        raw: dict[str, Any] = {
            "SchemaVersion": "2018-10-08",
            "Id": finding_id,
            "ProductArn": _product_arn(f),
            "ProductName": name,
            "CompanyName": company,
            "Region": f.region,
            "GeneratorId": f.generator,
            "AwsAccountId": call.account.id,
            "Types": list(f.types),
            "CreatedAt": created,
            "UpdatedAt": updated,
            "Severity": {"Label": label, "Original": label},
            "Title": f.title,
            "Description": f.title,
            "Resources": [
                {"Type": f.resource_type, "Id": f.resource_id, "Partition": "aws", "Region": f.region, "Tags": f.tags}
            ],
            "Workflow": {"Status": workflow},
            "WorkflowState": "NEW",
            "RecordState": "ACTIVE",
        }
        if f.product == "securityhub":
            raw["Compliance"] = {"Status": "PASSED" if passed else "FAILED"}
            control = f.generator.rsplit("/", 1)[-1]
            raw["Remediation"] = {
                "Recommendation": {"Url": f"https://docs.aws.amazon.com/console/securityhub/{control}/remediation"}
            }
        if note:
            raw["Note"] = {"Text": note, "UpdatedBy": "Supportdesk", "UpdatedAt": updated}
        return raw

    def get_findings(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        size = params.get("MaxResults", 100)
        out_of_range("maxResults", size, 1, 100)
        with self._lock:
            shown = [raw for f in self._findings(call) if _matches(raw := self._asff(call, f), params.get("Filters"))]
        found, token = page(shown, params.get("NextToken"), size, AwsError("InvalidInputException", "Bad NextToken"))
        return {"Findings": list(found), **({"NextToken": token} if token else {})}

    def batch_update_findings(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        known = {(_id(call, f), _product_arn(f)) for f in self._findings(call)}
        status = (params.get("Workflow") or {}).get("Status")
        note = (params.get("Note") or {}).get("Text", "")
        processed, unprocessed = [], []
        with self._lock:
            for identifier in params.get("FindingIdentifiers", []):
                if (identifier.get("Id"), identifier.get("ProductArn")) not in known:
                    unprocessed.append(
                        {"FindingIdentifier": identifier, "ErrorCode": "FindingNotFound", "ErrorMessage": "Not found"}
                    )
                    continue
                if status:
                    self._workflow[call.account.id, identifier["Id"]] = (status, note)
                processed.append(identifier)
        return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}


def _matches(raw: dict[str, Any], filters: dict[str, Any] | None) -> bool:
    """The string filters the portal sends (EQUALS, OR within a field) and UpdatedAt's Start/End."""
    values = {
        "RecordState": raw["RecordState"],
        "WorkflowStatus": raw["Workflow"]["Status"],
        "SeverityLabel": raw["Severity"]["Label"],
    }
    for name, conditions in (filters or {}).items():
        if name == "UpdatedAt":
            updated = moment(raw["UpdatedAt"].replace("Z", "+00:00"))
            if not all(_within(updated, c) for c in conditions):
                return False
        elif name in values and not any(c.get("Value") == values[name] for c in conditions):
            return False
    return True


def _within(when: datetime, condition: dict[str, str]) -> bool:
    try:
        start = moment(condition["Start"].replace("Z", "+00:00")) if condition.get("Start") else None
        end = moment(condition["End"].replace("Z", "+00:00")) if condition.get("End") else None
    except ValueError:
        raise AwsError("InvalidInputException", "UpdatedAt needs ISO 8601 Start and End.") from None
    return (start is None or start <= when) and (end is None or when <= end)
