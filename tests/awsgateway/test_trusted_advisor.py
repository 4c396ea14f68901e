from datetime import UTC, datetime
from decimal import Decimal

import pytest
from moto import mock_aws

from awsgateway import trusted_advisor
from awsgateway.errors import AwsAccessDenied, AwsError, AwsThrottled
from awsgateway.trusted_advisor import TaCheck, parse_money

from .helpers import stubbed

IDLE_LB = TaCheck(
    id="hjLMh88uM8",
    name="Idle Load Balancers",
    category="cost_optimizing",
    description="Checks for idle load balancers.",
    headings=("Region", "Load Balancer Name", "Reason", "Estimated Monthly Savings"),
)


@mock_aws
def test_checks_from_moto(access):
    found = trusted_advisor.checks(access)
    assert len(found) > 50
    assert {c.category for c in found} <= {
        "cost_optimizing",
        "security",
        "fault_tolerance",
        "performance",
        "service_limits",
    }
    assert all(c.id and c.name for c in found)
    assert any(c.headings for c in found)
    assert all(isinstance(c.headings, tuple) for c in found)


def _result(**overrides):
    result = {
        "checkId": IDLE_LB.id,
        "timestamp": "2026-11-27T08:00:00Z",
        "status": "warning",
        "resourcesSummary": {
            "resourcesProcessed": 4,
            "resourcesFlagged": 2,
            "resourcesIgnored": 0,
            "resourcesSuppressed": 1,
        },
        "categorySpecificSummary": {
            "costOptimizing": {"estimatedMonthlySavings": 1254.5, "estimatedPercentMonthlySavings": 3.5}
        },
        "flaggedResources": [
            {
                "status": "warning",
                "region": "eu-west-1",
                "resourceId": "r-abc",
                "isSuppressed": False,
                "metadata": ["eu-west-1", "web-lb", "No active back-end instances", "$1,234.50"],
            },
            {
                "status": "warning",
                "resourceId": "r-def",
                "isSuppressed": True,
                "metadata": ["us-east-1", "old-lb", "Low request count", "n/a"],
            },
        ],
    }
    result.update(overrides)
    return {"result": result}


def test_check_result_zips_metadata_with_headings_and_parses_savings(monkeypatch, access):
    with stubbed(monkeypatch, access, "support") as stub:
        stub.add_response("describe_trusted_advisor_check_result", _result(), {"checkId": IDLE_LB.id, "language": "en"})
        result = trusted_advisor.check_result(access, IDLE_LB)

    assert (result.check_id, result.status, result.resources_flagged) == (IDLE_LB.id, "warning", 2)
    assert result.timestamp.isoformat() == "2026-11-27T08:00:00+00:00"
    assert result.estimated_monthly_savings == Decimal("1254.5")
    first, second = result.flagged
    assert first.details == {
        "Region": "eu-west-1",
        "Load Balancer Name": "web-lb",
        "Reason": "No active back-end instances",
        "Estimated Monthly Savings": "$1,234.50",
    }
    assert first.estimated_monthly_savings == Decimal("1234.50")
    assert (first.resource_id, first.region, first.is_suppressed) == ("r-abc", "eu-west-1", False)
    assert second.estimated_monthly_savings is None  # "n/a" is not money
    assert (second.region, second.is_suppressed) == ("", True)


def test_non_cost_check_has_no_savings(monkeypatch, access):
    check = TaCheck("Pfx0RwqBli", "S3 Bucket Permissions", "security", "", ("Region", "Bucket Name"))
    with stubbed(monkeypatch, access, "support") as stub:
        stub.add_response(
            "describe_trusted_advisor_check_result",
            _result(
                checkId=check.id,
                status="ok",
                categorySpecificSummary={},
                flaggedResources=[{"status": "ok", "resourceId": "r-1", "metadata": ["us-east-1", "logs"]}],
            ),
        )
        result = trusted_advisor.check_result(access, check)
    assert result.estimated_monthly_savings is None
    assert result.flagged[0].details == {"Region": "us-east-1", "Bucket Name": "logs"}
    assert result.flagged[0].estimated_monthly_savings is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$1,234.50", Decimal("1234.50")),
        (" 12 ", Decimal("12")),
        (0.1, Decimal("0.1")),
        ("", None),
        (None, None),
        ("n/a", None),
        ("NaN", None),
    ],
)
def test_parse_money(raw, expected):
    assert parse_money(raw) == expected


def test_refresh_returns_millis(monkeypatch, access):
    with stubbed(monkeypatch, access, "support") as stub:
        stub.add_response(
            "refresh_trusted_advisor_check",
            {"status": {"checkId": IDLE_LB.id, "status": "enqueued", "millisUntilNextRefreshable": 300000}},
            {"checkId": IDLE_LB.id},
        )
        assert trusted_advisor.refresh(access, IDLE_LB.id) == 300000


@pytest.mark.parametrize("code", ["InvalidParameterValueException", "InvalidParameterValue"])  # AWS's, moto's
def test_refresh_of_auto_refreshed_check_returns_none(monkeypatch, access, code):
    with stubbed(monkeypatch, access, "support") as stub:
        stub.add_client_error("refresh_trusted_advisor_check", service_error_code=code)
        assert trusted_advisor.refresh(access, IDLE_LB.id) is None


def test_refresh_other_errors_are_translated(monkeypatch, access):
    with stubbed(monkeypatch, access, "support") as stub:
        stub.add_client_error("refresh_trusted_advisor_check", service_error_code="ThrottlingException")
        stub.add_client_error("refresh_trusted_advisor_check", service_error_code="InternalServerError")
        with pytest.raises(AwsThrottled):
            trusted_advisor.refresh(access, IDLE_LB.id)
        with pytest.raises(AwsError):
            trusted_advisor.refresh(access, IDLE_LB.id)


def test_newer_api_checks_order_headings_by_position(monkeypatch, access):
    with stubbed(monkeypatch, access, "trustedadvisor") as stub:
        stub.add_response(
            "list_checks",
            {
                "checkSummaries": [
                    {
                        "id": IDLE_LB.id,
                        "arn": f"arn:aws:trustedadvisor:::check/{IDLE_LB.id}",
                        "name": IDLE_LB.name,
                        "description": "d",
                        "pillars": ["cost_optimizing"],
                        "awsServices": ["elb"],
                        "source": "ta_check",
                        "metadata": {
                            "10": "Later",
                            "1": "Load Balancer Name",
                            "0": "Region",
                            "2": "Reason",
                            "3": "Estimated Monthly Savings",
                        },
                    }
                ]
            },
            {"source": "ta_check", "language": "en"},
        )
        (check,) = trusted_advisor.recommendation_checks(access)
    assert check.headings == ("Region", "Load Balancer Name", "Reason", "Estimated Monthly Savings", "Later")
    assert (check.id, check.category) == (IDLE_LB.id, "cost_optimizing")


REC_ARN = "arn:aws:trustedadvisor::123456789012:recommendation/rec-1"


def test_newer_api_resources_stream_page_by_page_with_columns_by_heading(monkeypatch, access):
    def resource(n, status="warning", exclusion="included"):
        return {
            "id": f"r-{n}",
            "arn": f"arn:aws:trustedadvisor::123456789012:recommendation-resource/r-{n}",
            "awsResourceId": f"lb-{n}",
            "regionCode": "eu-west-1",
            "status": status,
            "metadata": {"0": "eu-west-1", "1": f"lb-{n}", "2": "No traffic", "3": "$18.00"},
            "lastUpdatedAt": datetime(2026, 11, 27, tzinfo=UTC),
            "exclusionStatus": exclusion,
            "recommendationArn": REC_ARN,
        }

    with stubbed(monkeypatch, access, "trustedadvisor") as stub:
        stub.add_response(
            "list_recommendation_resources",
            {
                "recommendationResourceSummaries": [resource(1), resource(2, exclusion="excluded")],
                "nextToken": "page-2",
            },
            {"recommendationIdentifier": REC_ARN, "maxResults": 1000},
        )
        stub.add_response(
            "list_recommendation_resources",
            {"recommendationResourceSummaries": [resource(3, status="ok")]},
            {"recommendationIdentifier": REC_ARN, "maxResults": 1000, "nextToken": "page-2"},
        )
        stream = trusted_advisor.recommendation_resources(access, IDLE_LB, REC_ARN)
        first = next(stream)
        with pytest.raises(AssertionError):
            stub.assert_no_pending_responses()  # the second page waits for the consumer
        rest = list(stream)

    assert first.details == {
        "Region": "eu-west-1",
        "Load Balancer Name": "lb-1",
        "Reason": "No traffic",
        "Estimated Monthly Savings": "$18.00",
    }
    assert (first.resource_id, first.region, first.estimated_monthly_savings) == ("lb-1", "eu-west-1", Decimal("18.00"))
    assert first.arn == "arn:aws:trustedadvisor::123456789012:recommendation-resource/r-1"  # what exclusions name
    assert [(r.resource_id, r.status, r.is_suppressed) for r in rest] == [
        ("lb-2", "warning", True),
        ("lb-3", "ok", False),
    ]


def test_newer_api_recommendations_name_their_check(monkeypatch, access):
    with stubbed(monkeypatch, access, "trustedadvisor") as stub:
        stub.add_response(
            "list_recommendations",
            {
                "recommendationSummaries": [
                    {
                        "id": "rec-1",
                        "arn": "arn:aws:trustedadvisor::123456789012:recommendation/rec-1",
                        "name": "Idle",
                        "checkArn": f"arn:aws:trustedadvisor:::check/{IDLE_LB.id}",
                        "status": "warning",
                        "pillars": ["cost_optimizing"],
                        "source": "ta_check",
                        "resourcesAggregates": {"okCount": 1, "warningCount": 2, "errorCount": 0},
                        "type": "standard",
                    }
                ]
            },
            {"type": "standard", "source": "ta_check"},
        )
        (rec,) = trusted_advisor.recommendations(access)
    assert (rec.check_id, rec.status) == (IDLE_LB.id, "warning")


def test_newer_api_refusal_is_translated(monkeypatch, access):
    with stubbed(monkeypatch, access, "trustedadvisor") as stub:
        stub.add_client_error("list_recommendations", service_error_code="AccessDeniedException", http_status_code=403)
        with pytest.raises(AwsError):
            trusted_advisor.recommendations(access)


def test_savings_are_read_from_qualified_headings_too():
    assert trusted_advisor.savings_in({"Estimated Monthly Savings (On Demand)": "$1,204.00"}) == Decimal("1204.00")
    assert trusted_advisor.savings_in({"Region": "eu-west-1"}) is None


def test_resources_are_excluded_25_a_call_and_refusals_returned(monkeypatch, access):
    arns = [f"arn:aws:trustedadvisor::123456789012:recommendation-resource/rec-1/r-{n}" for n in range(26)]
    with stubbed(monkeypatch, access, "trustedadvisor") as stub:
        stub.add_response(
            "batch_update_recommendation_resource_exclusion",
            {"batchUpdateRecommendationResourceExclusionErrors": []},
            {"recommendationResourceExclusions": [{"arn": a, "isExcluded": True} for a in arns[:25]]},
        )
        error = {"arn": arns[25], "errorCode": "ValidationException", "errorMessage": "Resource is not excludable"}
        stub.add_response(
            "batch_update_recommendation_resource_exclusion",
            {"batchUpdateRecommendationResourceExclusionErrors": [error]},
            {"recommendationResourceExclusions": [{"arn": arns[25], "isExcluded": True}]},
        )
        refused = trusted_advisor.resources_exclude(access, arns)
    assert refused == ["ValidationException Resource is not excludable"]


def test_an_exclusion_the_role_may_not_make_is_access_denied(monkeypatch, access):
    with stubbed(monkeypatch, access, "trustedadvisor") as stub:
        stub.add_client_error(
            "batch_update_recommendation_resource_exclusion",
            service_error_code="AccessDeniedException",
            service_message="User is not authorized to perform: "
            "trustedadvisor:BatchUpdateRecommendationResourceExclusion",
            http_status_code=403,
        )
        with pytest.raises(AwsAccessDenied, match="BatchUpdateRecommendationResourceExclusion"):
            trusted_advisor.resources_exclude(
                access, ["arn:aws:trustedadvisor::123456789012:recommendation-resource/a/b"]
            )
