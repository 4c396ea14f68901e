"""Errors in the codes, statuses and wire forms AWS uses."""

import json
import urllib.request
from datetime import timedelta
from urllib.error import HTTPError

import pytest
from botocore.exceptions import ClientError

from tools.sandbox.scenario import DEVELOPMENT, SUSPENDED


def _error(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _post(live, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(live.url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


_SIGNED = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEDEFAULT00/20261127/us-east-1/support/aws4_request, Signature=x"


def test_basic_plan_has_no_support_or_health_api(basic):
    assert _error(lambda: basic("support").describe_severity_levels()) == ("SubscriptionRequiredException", 400)
    assert _error(lambda: basic("support").describe_trusted_advisor_checks(language="en"))[0] == (
        "SubscriptionRequiredException"
    )
    assert _error(lambda: basic("health").describe_events())[0] == "SubscriptionRequiredException"


def test_unknown_operation_and_malformed_body_are_refused_as_json_errors(live):
    target = {"Content-Type": "application/x-amz-json-1.1", "Authorization": _SIGNED}
    unknown = _post(live, {**target, "X-Amz-Target": "AWSSupport_20130415.DescribeEverything"}, b"{}")
    assert unknown[0] == 400
    assert unknown[1]["__type"] == "UnknownOperationException"
    malformed = _post(live, {**target, "X-Amz-Target": "AWSSupport_20130415.DescribeServices"}, b"{not json")
    assert malformed[0] == 400
    assert malformed[1]["__type"] == "SerializationException"


def test_unsigned_request_is_refused(live):
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSSupport_20130415.DescribeServices"}
    assert _post(live, headers, b"{}")[1]["__type"] == "MissingAuthenticationTokenException"


def test_limits_botocore_does_not_check_are_refused_by_the_service(production):
    health = production("health")
    code, status = _error(lambda: health.describe_events(maxResults=101))
    assert (code, status) == ("ValidationException", 400)
    eleven = [f"arn:aws:health:us-east-1::event/EC2/X_Y/X_Y_{i}" for i in range(11)]
    assert _error(lambda: health.describe_event_details(eventArns=eleven))[0] == "ValidationException"
    assert _error(lambda: health.describe_events(nextToken="not-a-token"))[0] == "InvalidPaginationToken"
    assert _error(lambda: production("support").describe_cases(maxResults=101))[0] == "ValidationException"


def test_unknown_check_is_an_invalid_parameter(production):
    support = production("support")
    code, _ = _error(lambda: support.describe_trusted_advisor_check_result(checkId="eW7HH0l7J9"))
    assert code == "InvalidParameterValueException"


def test_auto_refreshed_check_refuses_refresh_and_others_go_through_their_statuses(live, production):
    support = production("support")
    assert _error(lambda: support.refresh_trusted_advisor_check(checkId="12Fnkpl8Y5"))[0] == (
        "InvalidParameterValueException"
    )

    def status():
        [found] = support.describe_trusted_advisor_check_refresh_statuses(checkIds=["Qch7DwouX1"])["statuses"]
        return found["status"], found["millisUntilNextRefreshable"]

    assert status() == ("none", 0)
    assert support.refresh_trusted_advisor_check(checkId="Qch7DwouX1")["status"]["status"] == "enqueued"
    live.now += timedelta(seconds=15)
    assert status() == ("processing", 285_000)
    live.at_step(11)
    assert status() == ("success", 0)


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("support", lambda c: c.describe_services(), "ThrottlingException"),
        ("health", lambda c: c.describe_events(), "ThrottlingException"),
        ("organizations", lambda c: c.list_accounts(), "TooManyRequestsException"),
        ("sts", lambda c: c.get_caller_identity(), "Throttling"),
    ],
)
def test_throttling_on_request_answers_each_service_s_code(live, service, call, code):
    client = live.client(service)
    live.sandbox.throttle_every = 1
    assert _error(lambda: call(client))[0] == code


@pytest.mark.parametrize(
    ("role_arn", "answer"),
    [
        ("arn:aws:iam::999999999999:role/SupportdeskRead", ("AccessDenied", 403)),
        (f"arn:aws:iam::{SUSPENDED}:role/SupportdeskRead", ("AccessDenied", 403)),
        ("arn:aws:iam::role/nothing-here", ("ValidationError", 400)),
    ],
)
def test_role_outside_the_world_or_suspended_is_refused(live, role_arn, answer):
    sts = live.client("sts")
    assert _error(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="tests")) == answer


def test_keys_from_another_world_are_not_recognised(live):
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSSupport_20130415.DescribeServices",
        "Authorization": _SIGNED.replace("AKIAEXAMPLEDEFAULT00", "ASIASANDBOX300000000001"),
    }
    assert _post(live, headers, b"{}")[1]["__type"] == "UnrecognizedClientException"


def test_organisational_view_is_for_the_management_account(development):
    assert _error(lambda: development("organizations").list_accounts())[0] == "AccessDeniedException"
    assert _error(lambda: development("health").describe_events_for_organization())[0] == "AccessDeniedException"


def test_development_account_cannot_open_a_critical_case(development):
    support = development("support")
    levels = [level["code"] for level in support.describe_severity_levels()["severityLevels"]]
    assert levels == ["low", "normal", "high", "urgent"]
    code, _ = _error(lambda: support.create_case(subject="Down", communicationBody="All down", severityCode="critical"))
    assert code == "InvalidParameterValueException"
    assert DEVELOPMENT in support.create_case(subject="Slow", communicationBody="Slow", severityCode="urgent")["caseId"]
