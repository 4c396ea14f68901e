"""The Support API's case calls in the gateway: Stubber for the exact requests, moto for a round trip."""

from datetime import UTC, datetime

import pytest

from awsgateway import clients, support
from awsgateway.errors import RETRYABLE, AwsError, AwsNotFound
from awsgateway.support import CaseDetails, Communication

from ..awsgateway.helpers import stubbed
from .cases_fakes import moto_support

ACCESS = clients.AccountAccess(account_id="123456789012")
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _case(n: int, status: str = "opened") -> dict:
    return {
        "caseId": f"case-{n}",
        "displayId": str(n),
        "subject": f"[SD-{n}] Down",
        "status": status,
        "severityCode": "urgent",
        "timeCreated": "2026-11-27T09:00:01.000Z",
    }


def test_create_case_sends_a_technical_case_in_english(monkeypatch):
    expected = {
        "subject": "[SD-7] Checkout down",
        "communicationBody": "502s",
        "serviceCode": "amazon-ec2",
        "categoryCode": "instance-issue",
        "severityCode": "urgent",
        "issueType": "technical",
        "language": "en",
        "ccEmailAddresses": ["oncall@example.com"],
    }
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        stub.add_response("create_case", {"caseId": "case-1"}, expected)
        case_id = support.create_case(
            ACCESS,
            subject="[SD-7] Checkout down",
            body="502s",
            service_code="amazon-ec2",
            category_code="instance-issue",
            severity_code="urgent",
            cc_emails=["oncall@example.com"],
        )
    assert case_id == "case-1"


def test_case_creation_limit_is_permanent(monkeypatch):
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        stub.add_client_error("create_case", service_error_code="CaseCreationLimitExceeded", service_message="Too many")
        with pytest.raises(AwsError) as raised:
            support.create_case(ACCESS, subject="s", body="b", service_code="x", category_code="y", severity_code="low")
    assert not isinstance(raised.value, RETRYABLE)
    assert "CaseCreationLimitExceeded" in str(raised.value)


def test_cases_asks_at_most_100_ids_a_call_with_resolved_ones_and_no_messages(monkeypatch):
    ids = [f"case-{n}" for n in range(150)]
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        for chunk in (ids[:100], ids[100:]):
            params = {"caseIdList": chunk, "includeResolvedCases": True, "includeCommunications": False}
            stub.add_response("describe_cases", {"cases": [_case(int(chunk[0][5:]))]}, params)
        found = list(support.cases(ACCESS, ids))
    assert [c.case_id for c in found] == ["case-0", "case-100"]
    assert found[0] == CaseDetails(
        "case-0", "0", "[SD-0] Down", "opened", "urgent", datetime(2026, 11, 27, 9, 0, 1, tzinfo=UTC)
    )


def test_cases_since_follows_pages(monkeypatch):
    base = {"afterTime": "2026-11-27T09:00:00Z", "includeResolvedCases": True, "includeCommunications": False}
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        stub.add_response("describe_cases", {"cases": [_case(1)], "nextToken": "t2"}, base)
        stub.add_response("describe_cases", {"cases": [_case(2, "resolved")]}, {**base, "nextToken": "t2"})
        found = list(support.cases_since(ACCESS, T0))
    assert [(c.case_id, c.status) for c in found] == [("case-1", "opened"), ("case-2", "resolved")]


def test_communications_since_a_time_follow_pages(monkeypatch):
    def message(body: str, second: int) -> dict:
        return {
            "caseId": "case-1",
            "body": body,
            "submittedBy": "Amazon Web Services",
            "timeCreated": f"2026-11-27T09:00:{second:02d}.000Z",
        }

    base = {"caseId": "case-1", "afterTime": "2026-11-27T09:00:00Z"}
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        stub.add_response("describe_communications", {"communications": [message("Hi", 9)], "nextToken": "t"}, base)
        stub.add_response(
            "describe_communications", {"communications": [message("First", 1)]}, {**base, "nextToken": "t"}
        )
        found = list(support.communications(ACCESS, "case-1", since=T0))
    assert found == [
        Communication("Hi", "Amazon Web Services", datetime(2026, 11, 27, 9, 0, 9, tzinfo=UTC)),
        Communication("First", "Amazon Web Services", datetime(2026, 11, 27, 9, 0, 1, tzinfo=UTC)),
    ]


def test_add_communication_and_a_case_aws_does_not_know(monkeypatch):
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        stub.add_response(
            "add_communication_to_case", {"result": True}, {"caseId": "case-1", "communicationBody": "Hi"}
        )
        stub.add_client_error("resolve_case", service_error_code="CaseIdNotFound", service_message="Invalid case ID")
        support.add_communication(ACCESS, "case-1", "Hi")
        with pytest.raises(AwsNotFound):
            support.resolve_case(ACCESS, "case-2")


def test_support_services_are_asked_once_a_day_per_account(monkeypatch):
    using_aws = {"code": "using-aws", "name": "Using AWS"}
    answer = {"services": [{"code": "general-info", "name": "General", "categories": [using_aws]}]}
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        stub.add_response("describe_services", answer, {"language": "en"})
        first = support.support_services(ACCESS)
        again = support.support_services(ACCESS)  # no second response is queued: it comes from the cache
    assert first == again
    assert first[0].categories == (("using-aws", "Using AWS"),)


def test_a_case_round_trip_through_moto(settings, monkeypatch):
    with moto_support(settings, monkeypatch):
        case_id = support.create_case(
            ACCESS,
            subject="[SD-1] Down",
            body="502s",
            service_code="amazon-ec2",
            category_code="instance-issue",
            severity_code="high",
        )
        [case] = support.cases(ACCESS, [case_id])
        before = support.resolve_case(ACCESS, case_id)
        [created] = [c for c in support.cases_since(ACCESS, T0) if c.subject.startswith("[SD-1]")]
    # moto moves status and severity on every describe (docs/aws.md#fakes): only the rest is asserted
    assert case.case_id == created.case_id == case_id
    assert case.subject == "[SD-1] Down"
    assert case.time_created is not None and case.time_created.tzinfo is not None
    assert before


def test_an_account_and_billing_case_is_sent_as_customer_service(monkeypatch):
    expected = {
        "subject": "[SD-8] Invoice shows a second support plan",
        "communicationBody": "Charged twice for Business support in November.",
        "serviceCode": "billing",
        "categoryCode": "other-billing-questions",
        "severityCode": "normal",
        "issueType": "customer-service",
        "language": "en",
        "ccEmailAddresses": [],
    }
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        stub.add_response("create_case", {"caseId": "case-2"}, expected)
        support.create_case(
            ACCESS,
            subject=expected["subject"],
            body=expected["communicationBody"],
            service_code="billing",
            category_code="other-billing-questions",
            severity_code="normal",
            issue_type=support.CUSTOMER_SERVICE,
        )


def test_services_are_told_apart_by_issue_type():
    account = support.SupportService("customer-account", "Account", (("other-account-issues", "Other"),))
    ec2 = support.SupportService("amazon-elastic-compute-cloud-linux", "EC2", (("instance-issue", "Instance"),))
    assert (account.issue_type, ec2.issue_type) == ("customer-service", "technical")


def test_open_cases_lists_every_unresolved_case_since_a_time_with_who_opened_it(monkeypatch):
    case = {
        **_case(3),
        "serviceCode": "customer-account",
        "categoryCode": "security",
        "submittedBy": "Amazon Web Services",
    }
    params = {"includeResolvedCases": False, "includeCommunications": False, "afterTime": "2026-11-27T09:00:00Z"}
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        stub.add_response("describe_cases", {"cases": [case]}, params)
        [found] = support.open_cases(ACCESS, after=T0)
    assert (found.service_code, found.category_code, found.submitted_by) == (
        "customer-account",
        "security",
        "Amazon Web Services",
    )
