"""The newer trustedadvisor API: the same findings as the Support API, in its own shapes and errors."""

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tools.sandbox.scenario import DEVELOPMENT

from .helpers import EPOCH


def _by_check(advisor) -> dict[str, dict]:
    summaries = advisor.list_recommendations()["recommendationSummaries"]
    return {r["checkArn"].rsplit("/", 1)[1]: r for r in summaries}


def test_recommendations_show_what_the_support_api_shows(live, production):
    live.at_step(5)
    advisor, support = production("trustedadvisor"), production("support")
    recommendation = _by_check(advisor)["Qch7DwouX1"]
    result = support.describe_trusted_advisor_check_result(checkId="Qch7DwouX1")["result"]
    assert recommendation["status"] == result["status"] == "warning"
    assert recommendation["resourcesAggregates"]["warningCount"] == len(result["flaggedResources"]) == 1
    savings = recommendation["pillarSpecificAggregates"]["costOptimizing"]["estimatedMonthlySavings"]
    assert savings == result["categorySpecificSummary"]["costOptimizing"]["estimatedMonthlySavings"] == 276.48
    [resource] = advisor.list_recommendation_resources(recommendationIdentifier=recommendation["arn"])[
        "recommendationResourceSummaries"
    ]
    assert resource["awsResourceId"] == "i-0a1b2c3d4e5f60718"
    assert resource["id"] == result["flaggedResources"][0]["resourceId"]
    assert [resource["metadata"][str(i)] for i in range(5)] == result["flaggedResources"][0]["metadata"][:5]


def test_cleared_finding_leaves_an_ok_recommendation_updated_when_it_cleared(live, production):
    live.at_step(3)
    advisor = production("trustedadvisor")
    recommendation = _by_check(advisor)["HCP4007jGY"]
    assert (recommendation["status"], recommendation["resourcesAggregates"]["errorCount"]) == ("ok", 0)
    assert recommendation["lastUpdatedAt"] == EPOCH + timedelta(seconds=90)
    since = advisor.list_recommendations(afterLastUpdatedAt=EPOCH + timedelta(seconds=60))
    assert [r["name"] for r in since["recommendationSummaries"]] == ["Security Groups - Specific Ports Unrestricted"]


def test_resources_come_in_pages(production):
    advisor = production("trustedadvisor")
    arn = _by_check(advisor)["0Xc6LMYG8P"]["arn"]
    first = advisor.list_recommendation_resources(recommendationIdentifier=arn, maxResults=1)
    assert len(first["recommendationResourceSummaries"]) == 1
    assert "nextToken" not in first  # one flagged resource, one page


def test_basic_plan_and_other_accounts_recommendations_are_refused(basic, production, development):
    with pytest.raises(ClientError) as denied:
        basic("trustedadvisor").list_recommendations()
    assert (denied.value.response["Error"]["Code"], denied.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "AccessDeniedException",
        403,
    )
    theirs = _by_check(development("trustedadvisor"))["hjLMh88uM8"]["arn"]
    with pytest.raises(ClientError) as missing:
        production("trustedadvisor").get_recommendation(recommendationIdentifier=theirs)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert DEVELOPMENT in theirs
