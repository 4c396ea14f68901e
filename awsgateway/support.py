"""The Support API: reference data (severities and services, per account, as they depend on the plan) and cases."""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache

from . import clients
from .clients import AccountAccess
from .errors import translated_errors


@dataclass(frozen=True)
class SeverityLevel:
    code: str
    name: str


# The two kinds of case (CreateCase's issueType). DescribeServices names no issue type: account and billing cases
# take the services below, every other service is technical (docs/aws.md#issue-types)
TECHNICAL = "technical"
CUSTOMER_SERVICE = "customer-service"
CUSTOMER_SERVICE_CODES = frozenset({"customer-account", "billing"})


@dataclass(frozen=True)
class SupportService:
    code: str
    name: str
    categories: tuple[tuple[str, str], ...]  # (code, name)

    @property
    def issue_type(self) -> str:
        return issue_type_of(self.code)


def issue_type_of(service_code: str) -> str:
    return CUSTOMER_SERVICE if service_code in CUSTOMER_SERVICE_CODES else TECHNICAL


def severity_levels(access: AccountAccess) -> list[SeverityLevel]:
    """The severities this account's plan offers; the only reliable plan probe (docs/aws.md#support-plans)."""
    with translated_errors():
        response = clients.client_for(access, "support").describe_severity_levels(language="en")
    return [SeverityLevel(code=s["code"], name=s["name"]) for s in response.get("severityLevels", [])]


SERVICES_CACHE_SECONDS = 24 * 3600  # AWS adds services rarely; the form must not wait on AWS every time


def support_services(access: AccountAccess) -> list[SupportService]:
    """The services and categories a case may name, cached per account for a day."""
    key = f"integrations:support-services:{access.account_id}"
    services = cache.get(key)
    if services is None:
        with translated_errors():
            response = clients.client_for(access, "support").describe_services(language="en")
        services = [
            SupportService(
                code=s["code"],
                name=s["name"],
                categories=tuple((c["code"], c["name"]) for c in s.get("categories", [])),
            )
            for s in response.get("services", [])
        ]
        cache.set(key, services, timeout=SERVICES_CACHE_SECONDS)
    return services


# Cases (docs/aws.md#support-cases)

BODY_LIMIT = 8000
CC_LIMIT = 10
_IDS_PER_CALL = 100


@dataclass(frozen=True)
class CaseDetails:
    case_id: str
    display_id: str
    subject: str
    status: str
    severity_code: str
    time_created: datetime | None
    service_code: str = ""
    category_code: str = ""
    submitted_by: str = ""  # who opened it: an address, "Role (Role) <address>", or AWS itself


@dataclass(frozen=True)
class Communication:
    body: str
    submitted_by: str
    time_created: datetime | None


def _time(text: str | None) -> datetime | None:
    # Support writes times as ISO 8601 strings; moto leaves off the zone, which is UTC
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _details(case: dict) -> CaseDetails:
    return CaseDetails(
        case_id=case["caseId"],
        display_id=case.get("displayId", ""),
        subject=case.get("subject", ""),
        status=case.get("status", ""),
        severity_code=case.get("severityCode", ""),
        time_created=_time(case.get("timeCreated")),
        service_code=case.get("serviceCode", ""),
        category_code=case.get("categoryCode", ""),
        submitted_by=case.get("submittedBy", ""),
    )


def create_case(
    access: AccountAccess,
    *,
    subject: str,
    body: str,
    service_code: str,
    category_code: str,
    severity_code: str,
    cc_emails: Sequence[str] = (),
    issue_type: str = TECHNICAL,
) -> str:
    """Open a case of ``issue_type``; returns AWS's (opaque) case id. CaseCreationLimitExceeded is a permanent AwsError.

    AWS takes a body of at most BODY_LIMIT characters and CC_LIMIT cc addresses: callers check before."""
    with translated_errors():
        response = clients.client_for(access, "support", once=True).create_case(
            subject=subject,
            communicationBody=body,
            serviceCode=service_code,
            categoryCode=category_code,
            severityCode=severity_code,
            issueType=issue_type,
            language="en",
            ccEmailAddresses=list(cc_emails),
        )
    return response["caseId"]


def cases(access: AccountAccess, case_ids: Iterable[str]) -> Iterator[CaseDetails]:
    """The named cases, resolved ones included, without their messages; at most 100 ids per call."""
    ids = list(case_ids)
    with translated_errors():
        paginator = clients.client_for(access, "support").get_paginator("describe_cases")
        for start in range(0, len(ids), _IDS_PER_CALL):
            chunk = ids[start : start + _IDS_PER_CALL]
            for page in paginator.paginate(caseIdList=chunk, includeResolvedCases=True, includeCommunications=False):
                yield from (_details(case) for case in page.get("cases", []))


def cases_since(access: AccountAccess, after: datetime) -> Iterator[CaseDetails]:
    """Every case opened since ``after``, resolved ones included: how a case whose id was lost is found again."""
    with translated_errors():
        paginator = clients.client_for(access, "support").get_paginator("describe_cases")
        pages = paginator.paginate(afterTime=_stamp(after), includeResolvedCases=True, includeCommunications=False)
        for page in pages:
            yield from (_details(case) for case in page.get("cases", []))


def open_cases(access: AccountAccess, *, after: datetime | None) -> Iterator[CaseDetails]:
    """Every unresolved case of the account, whoever opened it (a person in the console, AWS itself, Supportdesk),
    opened since ``after`` when given; pages stream one at a time."""
    params = {"includeResolvedCases": False, "includeCommunications": False}
    with translated_errors():
        paginator = clients.client_for(access, "support").get_paginator("describe_cases")
        for page in paginator.paginate(**params, **({"afterTime": _stamp(after)} if after else {})):
            yield from (_details(case) for case in page.get("cases", []))


def communications(access: AccountAccess, case_id: str, *, since: datetime | None) -> Iterator[Communication]:
    """A case's messages (newest first, as AWS lists them) created at or after ``since``."""
    params = {"caseId": case_id, **({"afterTime": _stamp(since)} if since else {})}
    with translated_errors():
        paginator = clients.client_for(access, "support").get_paginator("describe_communications")
        for page in paginator.paginate(**params):
            for c in page.get("communications", []):
                when = _time(c.get("timeCreated"))
                yield Communication(body=c.get("body", ""), submitted_by=c.get("submittedBy", ""), time_created=when)


def add_communication(access: AccountAccess, case_id: str, body: str) -> None:
    with translated_errors():
        clients.client_for(access, "support", once=True).add_communication_to_case(
            caseId=case_id, communicationBody=body
        )


def resolve_case(access: AccountAccess, case_id: str) -> str:
    """Resolve the case at AWS; returns the status it had before."""
    with translated_errors():
        response = clients.client_for(access, "support").resolve_case(caseId=case_id)
    return response.get("initialCaseStatus", "")
