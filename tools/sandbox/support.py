"""AWS Support in JSON 1.1 (``AWSSupport_20130415.*``): plan-dependent reference data, Trusted Advisor and cases.

Trusted Advisor answers follow the scenario clock. Cases are the one thing clients write: they live in
memory, keep their status until something happens to them (moto rotates it on every read), and AWS
replies to each customer message two steps after it. The story's cases AWS opens itself (an exposed key) join
an account's cases at their step.
"""

import hashlib
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .api import SUBSCRIPTION_REQUIRED, THROTTLED, AwsError, Call, out_of_range, page, stamp, time_parameter, too_long
from .checks import AUTO_REFRESHED, CHECKS, check_state, resource_id
from .scenario import Finding, OpenedByAws

_REFRESH_EVERY = timedelta(minutes=5)

SEVERITY_LEVELS = [
    ("low", "Low"),
    ("normal", "Normal"),
    ("high", "High"),
    ("urgent", "Urgent"),
    ("critical", "Critical"),
]
_SEVERITIES_BY_PLAN = {"business": 4, "enterprise": 5}  # Business stops at urgent; critical is Enterprise only
SERVICES: list[dict[str, Any]] = [
    {
        "code": "amazon-elastic-compute-cloud-linux",
        "name": "Elastic Compute Cloud (EC2 - Linux)",
        "categories": [
            {"code": "general-guidance", "name": "General Guidance"},
            {"code": "instance-issue", "name": "Instance Issue"},
            {"code": "performance", "name": "Performance"},
        ],
    },
    {
        "code": "amazon-simple-storage-service",
        "name": "Simple Storage Service (S3)",
        "categories": [
            {"code": "general-guidance", "name": "General Guidance"},
            {"code": "performance", "name": "Performance"},
        ],
    },
    {
        "code": "amazon-relational-database-service",
        "name": "Relational Database Service (RDS)",
        "categories": [
            {"code": "general-guidance", "name": "General Guidance"},
            {"code": "performance", "name": "Performance"},
        ],
    },
    {
        "code": "service-limit-increase",
        "name": "Service Limit Increase",
        "categories": [
            {"code": "service-code-ec2-instances", "name": "EC2 Instances"},
            {"code": "service-code-vpc", "name": "VPC"},
        ],
    },
    {
        "code": "general-info",
        "name": "General Info and Getting Started",
        "categories": [{"code": "using-aws", "name": "Using AWS & Services"}],
    },
    # Account and billing: the services of customer-service cases (docs/aws.md#issue-types)
    {
        "code": "customer-account",
        "name": "Account",
        "categories": [
            {"code": "other-account-issues", "name": "Other Account Issues"},
            {"code": "security", "name": "Security"},
        ],
    },
    {
        "code": "billing",
        "name": "Billing",
        "categories": [
            {"code": "other-billing-questions", "name": "Other Billing Questions"},
            {"code": "question", "name": "Question About My Bill"},
        ],
    },
]

AWS = "Amazon Web Services"


def _time(params: dict[str, Any], name: str) -> datetime | None:
    return time_parameter(params, name, "InvalidParameterValueException")


@dataclass
class Communication:
    body: str
    submitted_by: str
    at: datetime


@dataclass
class Case:
    id: str
    display_id: str
    subject: str
    service_code: str
    category_code: str
    severity_code: str
    language: str
    cc: list[str]
    submitted_by: str
    created: datetime
    communications: list[Communication] = field(default_factory=list)  # AWS's replies are queued ahead of time
    resolved: bool = False

    def shown(self, now: datetime) -> list[Communication]:
        # Newest first; of two at the same moment, the one written later (sorted() keeps ties in order)
        return sorted((c for c in reversed(self.communications) if c.at <= now), key=lambda c: c.at, reverse=True)

    def status(self, now: datetime) -> str:
        if self.resolved:
            return "resolved"
        shown = self.shown(now)
        if shown[0].submitted_by == AWS:
            return "pending-customer-action"
        return "customer-action-completed" if any(c.submitted_by == AWS for c in shown) else "opened"


class Support:
    throttling = THROTTLED
    plan_refusal = SUBSCRIPTION_REQUIRED

    def __init__(self) -> None:
        self._lock = threading.Lock()  # cases and refreshes are written by concurrent requests
        self._cases: dict[str, list[Case]] = defaultdict(list)
        self._refreshed: dict[tuple[str, str], datetime] = {}
        self._arrived: set[tuple[str, int]] = set()  # (account, index) of the story's cases already here

    def operations(self) -> dict:
        return {
            "DescribeSeverityLevels": self.describe_severity_levels,
            "DescribeServices": self.describe_services,
            "DescribeTrustedAdvisorChecks": self.describe_trusted_advisor_checks,
            "DescribeTrustedAdvisorCheckResult": self.describe_trusted_advisor_check_result,
            "DescribeTrustedAdvisorCheckSummaries": self.describe_trusted_advisor_check_summaries,
            "RefreshTrustedAdvisorCheck": self.refresh_trusted_advisor_check,
            "DescribeTrustedAdvisorCheckRefreshStatuses": self.describe_trusted_advisor_check_refresh_statuses,
            "CreateCase": self.create_case,
            "DescribeCases": self.describe_cases,
            "DescribeCommunications": self.describe_communications,
            "AddCommunicationToCase": self.add_communication_to_case,
            "ResolveCase": self.resolve_case,
        }

    # Reference data

    def describe_severity_levels(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        levels = SEVERITY_LEVELS[: _SEVERITIES_BY_PLAN[call.account.plan]]
        return {"severityLevels": [{"code": code, "name": name} for code, name in levels]}

    def describe_services(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        codes = params.get("serviceCodeList") or [s["code"] for s in SERVICES]
        too_long("serviceCodeList", codes, 100)
        return {"services": [s for s in SERVICES if s["code"] in codes]}

    # Trusted Advisor

    def describe_trusted_advisor_checks(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"checks": list(CHECKS.values())}

    def describe_trusted_advisor_check_result(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"result": self._result(call, _check(params.get("checkId")))}

    def describe_trusted_advisor_check_summaries(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        summaries = []
        for check_id in params.get("checkIds", []):
            summary = self._result(call, _check(check_id))
            summary["hasFlaggedResources"] = bool(summary.pop("flaggedResources"))
            summaries.append(summary)
        return {"summaries": summaries}

    def refresh_trusted_advisor_check(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        check = _check(params.get("checkId"))
        if check["id"] in AUTO_REFRESHED:
            raise AwsError(
                "InvalidParameterValueException",
                f"[UNREFRESHABLE_CHECK_ID_ERROR] Check {check['id']} is not refreshable.",
            )
        key = (call.account.id, check["id"])
        with self._lock:
            last = self._refreshed.get(key)
            if last is None or call.now - last >= _REFRESH_EVERY:  # within the wait, AWS just reports the status
                self._refreshed[key] = call.now
        return {"status": self._refresh_status(call, check["id"])}

    def describe_trusted_advisor_check_refresh_statuses(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"statuses": [self._refresh_status(call, _check(i)["id"]) for i in params.get("checkIds", [])]}

    def _refresh_status(self, call: Call, check_id: str) -> dict[str, Any]:
        last = self._refreshed.get((call.account.id, check_id))
        if last is None:
            return {"checkId": check_id, "status": "none", "millisUntilNextRefreshable": 0}
        elapsed = call.now - last
        status = "enqueued" if elapsed < timedelta(seconds=10) else "processing"
        if elapsed >= timedelta(seconds=20):
            status = "success"
        wait = max(_REFRESH_EVERY - elapsed, timedelta(0))
        return {"checkId": check_id, "status": status, "millisUntilNextRefreshable": wait // timedelta(milliseconds=1)}

    def _result(self, call: Call, check: dict[str, Any]) -> dict[str, Any]:
        state = check_state(call, check)
        summary: dict[str, Any] = {}
        if state.savings is not None:
            summary["costOptimizing"] = {
                "estimatedMonthlySavings": float(state.savings),
                "estimatedPercentMonthlySavings": float(state.savings_percent),
            }
        return {
            "checkId": check["id"],
            "timestamp": call.world.clock.time(state.changed_step).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": state.status,
            "resourcesSummary": {
                "resourcesProcessed": len(state.flagged) + state.ok_count,
                "resourcesFlagged": len(state.flagged),
                "resourcesIgnored": 0,
                "resourcesSuppressed": 0,
            },
            "categorySpecificSummary": summary,
            "flaggedResources": [_flagged(call.account.id, check, f) for f in state.flagged],
        }

    # Cases

    def create_case(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        severity = params.get("severityCode", "low")
        offered = [code for code, _ in SEVERITY_LEVELS[: _SEVERITIES_BY_PLAN[call.account.plan]]]
        if severity not in offered:
            raise AwsError("InvalidParameterValueException", f"Invalid severity code: {severity}")
        service_code = params.get("serviceCode", "general-info")
        service = next((s for s in SERVICES if s["code"] == service_code), None)
        if service is None:
            raise AwsError("InvalidParameterValueException", f"Invalid service code: {service_code}")
        category_code = params.get("categoryCode", service["categories"][0]["code"])
        if category_code not in {c["code"] for c in service["categories"]}:
            raise AwsError("InvalidParameterValueException", f"Invalid category code: {category_code}")
        too_long("ccEmailAddresses", params.get("ccEmailAddresses", []), 10)
        with self._lock:
            number = sum(1 for cases in self._cases.values() for c in cases if c.submitted_by != AWS) + 1
            digest = hashlib.sha256(f"{call.account.id}/{number}".encode()).hexdigest()[:16]
            case = Case(
                id=f"case-{call.account.id}-{call.now.year}-{digest}",
                display_id=str(17_000_000_000 + number),
                subject=params["subject"],
                service_code=service_code,
                category_code=category_code,
                severity_code=severity,
                language=params.get("language", "en"),
                cc=list(params.get("ccEmailAddresses", [])),
                submitted_by=call.account.email,
                created=call.now,
            )
            self._post(call, case, params["communicationBody"])
            self._cases[call.account.id].append(case)
        return {"caseId": case.id}

    def describe_cases(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params.get("caseIdList", [])
        too_long("caseIdList", wanted, 100)
        size = params.get("maxResults", 100)
        out_of_range("maxResults", size, 10, 100)
        after, before = _time(params, "afterTime"), _time(params, "beforeTime")
        with self._lock:
            self._story(call)
            cases = list(self._cases[call.account.id])
            unknown = set(wanted) - {c.id for c in cases}
            if unknown:
                raise AwsError("CaseIdNotFound", f"Invalid case ID: {sorted(unknown)[0]}")
            chosen = [
                c
                for c in sorted(reversed(cases), key=lambda c: c.created, reverse=True)  # newest first, as shown()
                if (not wanted or c.id in wanted)
                and params.get("displayId", c.display_id) == c.display_id
                and (after is None or c.created >= after)
                and (before is None or c.created <= before)
                and (params.get("includeResolvedCases", False) or not c.resolved)
            ]
            shown, token = page(chosen, params.get("nextToken"), size, _bad_token())
            rendered = [_case(c, call.now, params.get("includeCommunications", True)) for c in shown]
        return {"cases": rendered, **({"nextToken": token} if token else {})}

    def describe_communications(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        size = params.get("maxResults", 100)
        out_of_range("maxResults", size, 10, 100)
        after, before = _time(params, "afterTime"), _time(params, "beforeTime")
        with self._lock:
            case = self._case(call, params.get("caseId"))
            chosen = [
                c
                for c in case.shown(call.now)
                if (after is None or c.at >= after) and (before is None or c.at <= before)
            ]
            shown, token = page(chosen, params.get("nextToken"), size, _bad_token())
            rendered = [_communication(case, c) for c in shown]
        return {"communications": rendered, **({"nextToken": token} if token else {})}

    def add_communication_to_case(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        too_long("ccEmailAddresses", params.get("ccEmailAddresses", []), 10)
        with self._lock:
            case = self._case(call, params.get("caseId"))
            case.resolved = False  # writing to a resolved case reopens it, as in AWS
            self._post(call, case, params["communicationBody"])
        return {"result": True}

    def resolve_case(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            case = self._case(call, params.get("caseId"))
            initial = case.status(call.now)
            case.resolved = True
            case.communications = [c for c in case.communications if c.at <= call.now]  # no reply will come now
        return {"initialCaseStatus": initial, "finalCaseStatus": "resolved"}

    def _story(self, call: Call) -> None:
        """Cases AWS opened in the account by now join its cases, once (called under the lock)."""
        opened: tuple[OpenedByAws, ...] = call.world.cases.get(call.account.id, ())
        for index, story in enumerate(opened, start=1):
            step_time = call.world.clock.time(story.appears)
            if step_time > call.now or (call.account.id, index) in self._arrived:
                continue
            self._arrived.add((call.account.id, index))
            digest = hashlib.sha256(f"{call.account.id}/aws/{index}".encode()).hexdigest()[:16]
            case = Case(
                id=f"case-{call.account.id}-{step_time.year}-{digest}",
                display_id=str(17_100_000_000 + index),
                subject=story.subject,
                service_code=story.service_code,
                category_code=story.category_code,
                severity_code=story.severity_code,
                language="en",
                cc=[],
                submitted_by=AWS,
                created=step_time,
                communications=[Communication(story.body, AWS, step_time)],
            )
            self._cases[call.account.id].append(case)

    def _case(self, call: Call, case_id: str | None) -> Case:
        self._story(call)
        case = next((c for c in self._cases[call.account.id] if c.id == case_id), None)
        if case is None:
            raise AwsError("CaseIdNotFound", f"Invalid case ID: {case_id}")
        return case

    def _post(self, call: Call, case: Case, body: str) -> None:
        reply = _reply(case, first=not case.communications)
        case.communications.append(Communication(body, call.account.email, call.now))  # AWS may have opened it
        reply_at = call.now + timedelta(seconds=2 * call.world.clock.step_seconds)
        case.communications.append(Communication(reply, AWS, reply_at))


def _check(check_id: str | None) -> dict[str, Any]:
    if check_id not in CHECKS:
        raise AwsError("InvalidParameterValueException", f"Unknown ID: {check_id}")
    return CHECKS[check_id]


def _bad_token() -> AwsError:
    return AwsError("InvalidParameterValueException", "Invalid pagination token")


def _flagged(account_id: str, check: dict[str, Any], finding: Finding) -> dict[str, Any]:
    return {
        "status": finding.status,
        "region": finding.region,
        "resourceId": resource_id(account_id, finding),
        "isSuppressed": False,
        "metadata": [finding.metadata.get(heading) for heading in check["metadata"]],  # positional, as headings
    }


def _reply(case: Case, *, first: bool) -> str:
    opening = f'Thank you for contacting AWS Support about "{case.subject}".' if first else "Thank you for the update."
    return (
        f"Hello,\n\n{opening} An engineer is looking into case {case.display_id} and will update you here "
        "as soon as we know more.\n\nBest regards,\nAmazon Web Services"
    )


def _communication(case: Case, communication: Communication) -> dict[str, Any]:
    return {
        "caseId": case.id,
        "body": communication.body,
        "submittedBy": communication.submitted_by,
        "timeCreated": stamp(communication.at),
        "attachmentSet": [],
    }


def _case(case: Case, now: datetime, with_communications: bool) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "caseId": case.id,
        "displayId": case.display_id,
        "subject": case.subject,
        "status": case.status(now),
        "serviceCode": case.service_code,
        "categoryCode": case.category_code,
        "severityCode": case.severity_code,
        "submittedBy": case.submitted_by,
        "timeCreated": stamp(case.created),
        "ccEmailAddresses": case.cc,
        "language": case.language,
    }
    if with_communications:
        shown = case.shown(now)
        recent: dict[str, Any] = {"communications": [_communication(case, c) for c in shown[:5]]}
        if len(shown) > 5:
            recent["nextToken"] = page(shown, None, 5, _bad_token())[1]
        rendered["recentCommunications"] = recent
    return rendered
