"""Support cases: statuses that hold still, AWS replying two steps after each message, the filters AWS has."""

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

AWS = "Amazon Web Services"


def _open(support, subject: str = "Checkout API errors") -> str:
    return support.create_case(subject=subject, communicationBody="502s since 09:00.", severityCode="high")["caseId"]


def _case(support, case_id: str) -> dict:
    [case] = support.describe_cases(caseIdList=[case_id], includeResolvedCases=True)["cases"]
    return case


def test_status_holds_until_aws_replies(live, production):
    # given: a new case
    support = production("support")
    case_id = _open(support)
    # when: read again and again before AWS answers
    statuses = {_case(support, case_id)["status"] for _ in range(3)}
    # then: it stays opened (moto would rotate it), with only the customer's message
    assert statuses == {"opened"}
    assert [c["submittedBy"] for c in _case(support, case_id)["recentCommunications"]["communications"]] == [
        "aws-payments-prod@example.com"
    ]
    # and two steps later AWS has replied, newest first
    live.at_step(2)
    case = _case(support, case_id)
    assert case["status"] == "pending-customer-action"
    reply = case["recentCommunications"]["communications"][0]
    assert reply["submittedBy"] == AWS
    assert case["displayId"] in reply["body"]


def test_customer_reply_waits_for_the_next_answer(live, production):
    support = production("support")
    case_id = _open(support)
    live.at_step(2)
    assert support.add_communication_to_case(caseId=case_id, communicationBody="Still failing.")["result"] is True
    assert _case(support, case_id)["status"] == "customer-action-completed"
    live.at_step(4)
    communications = support.describe_communications(caseId=case_id)["communications"]
    assert [c["submittedBy"] for c in communications][:2] == [AWS, "aws-payments-prod@example.com"]
    assert communications[0]["body"].startswith("Hello,\n\nThank you for the update.")


def test_resolved_case_is_listed_only_when_asked_and_gets_no_late_reply(live, production):
    support = production("support")
    case_id = _open(support)
    answer = support.resolve_case(caseId=case_id)
    assert (answer["initialCaseStatus"], answer["finalCaseStatus"]) == ("opened", "resolved")
    assert support.describe_cases()["cases"] == []
    live.at_step(5)
    case = _case(support, case_id)
    assert case["status"] == "resolved"
    assert len(case["recentCommunications"]["communications"]) == 1


def test_cases_filter_by_time_and_page_newest_first(live, production):
    support = production("support")
    first = _open(support, "First")
    live.now += timedelta(minutes=10)
    later = [_open(support, f"Later {n}") for n in range(11)]
    after = (live.now - timedelta(minutes=5)).isoformat()
    page = support.describe_cases(afterTime=after, maxResults=10)
    assert [c["caseId"] for c in page["cases"]] == later[::-1][:10]
    rest = support.describe_cases(afterTime=after, maxResults=10, nextToken=page["nextToken"])
    assert [c["caseId"] for c in rest["cases"]] == [later[0]]
    assert "nextToken" not in rest
    assert first not in [c["caseId"] for c in support.describe_cases(afterTime=after)["cases"]]


@pytest.mark.parametrize(
    "call",
    [
        lambda support, case_id: support.describe_cases(caseIdList=[case_id]),
        lambda support, case_id: support.describe_communications(caseId=case_id),
        lambda support, case_id: support.add_communication_to_case(caseId=case_id, communicationBody="Hello?"),
        lambda support, case_id: support.resolve_case(caseId=case_id),
    ],
)
def test_another_account_s_case_is_not_found(production, development, call):
    case_id = _open(production("support"))
    with pytest.raises(ClientError) as raised:
        call(development("support"), case_id)
    assert raised.value.response["Error"]["Code"] == "CaseIdNotFound"
