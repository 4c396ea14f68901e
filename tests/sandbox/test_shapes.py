"""Every operation the sandbox speaks, called through real boto3 clients and checked against botocore's model."""

from datetime import timedelta

import botocore.model
import pytest

from tools.sandbox.scenario import DEVELOPMENT, PRODUCTION

from .helpers import EPOCH, assert_valid


def _without_nulls(response: dict) -> dict:
    # Real Trusted Advisor results carry nulls in `metadata` (empty cells), which the model's list of strings
    # does not allow; the sandbox sends them as AWS does, so they are left out before the shape check
    for resource in response["result"]["flaggedResources"]:
        resource["metadata"] = [v for v in resource["metadata"] if v is not None]
    return response


def test_sts_answers_in_its_shapes(live):
    sts = live.client("sts")
    assumed = sts.assume_role(
        RoleArn=f"arn:aws:iam::{DEVELOPMENT}:role/SupportdeskRead", RoleSessionName="tests", ExternalId="demo-id"
    )
    assert_valid(sts, "AssumeRole", assumed)
    assert assumed["Credentials"]["AccessKeyId"] == f"ASIASANDBOX{DEVELOPMENT}"
    assert assumed["Credentials"]["Expiration"] == live.now.replace(microsecond=0) + timedelta(hours=1)
    identity = live.client("sts", DEVELOPMENT).get_caller_identity()
    assert_valid(sts, "GetCallerIdentity", identity)
    assert identity["Arn"] == f"arn:aws:sts::{DEVELOPMENT}:assumed-role/SupportdeskRead/tests"


def test_support_reference_data_and_trusted_advisor_answer_in_their_shapes(production):
    support = production("support")
    assert_valid(support, "DescribeSeverityLevels", support.describe_severity_levels(language="en"))
    assert_valid(support, "DescribeServices", support.describe_services(language="en"))
    checks = support.describe_trusted_advisor_checks(language="en")
    assert_valid(support, "DescribeTrustedAdvisorChecks", checks)
    for check in checks["checks"]:
        result = support.describe_trusted_advisor_check_result(checkId=check["id"], language="en")
        assert_valid(support, "DescribeTrustedAdvisorCheckResult", _without_nulls(result))
    ids = [c["id"] for c in checks["checks"]]
    assert_valid(
        support,
        "DescribeTrustedAdvisorCheckSummaries",
        support.describe_trusted_advisor_check_summaries(checkIds=ids),
    )
    assert_valid(support, "RefreshTrustedAdvisorCheck", support.refresh_trusted_advisor_check(checkId="Qch7DwouX1"))
    statuses = support.describe_trusted_advisor_check_refresh_statuses(checkIds=ids)
    assert_valid(support, "DescribeTrustedAdvisorCheckRefreshStatuses", statuses)


def test_cases_answer_in_their_shapes(live, production):
    support = production("support")
    created = support.create_case(
        subject="Instances unreachable in use1-az4",
        communicationBody="checkout-api-1 stopped answering at 09:02 UTC.",
        serviceCode="amazon-elastic-compute-cloud-linux",
        categoryCode="instance-issue",
        severityCode="urgent",
        ccEmailAddresses=["oncall@example.com"],
    )
    assert_valid(support, "CreateCase", created)
    live.at_step(2)  # AWS has replied
    case_id = created["caseId"]
    assert_valid(support, "DescribeCases", support.describe_cases(caseIdList=[case_id]))
    assert_valid(support, "DescribeCommunications", support.describe_communications(caseId=case_id))
    added = support.add_communication_to_case(caseId=case_id, communicationBody="It is back since 09:40.")
    assert_valid(support, "AddCommunicationToCase", added)
    assert_valid(support, "ResolveCase", support.resolve_case(caseId=case_id))


@pytest.fixture(params=["json", "smithy-rpc-v2-cbor"])
def health_protocol(request, monkeypatch):
    # botocore 1.44.8 prefers JSON 1.1 for Health though the model lists CBOR first; putting CBOR first in
    # botocore's own order makes its client speak RPC v2 CBOR, as a later botocore or another SDK may
    order = botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
    monkeypatch.setattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", (request.param, *order))
    return request.param


def test_health_answers_in_its_shapes_over_json_and_cbor(live, production, health_protocol):
    live.at_step(3)
    health = production("health")
    assert health.meta.service_model.resolved_protocol == health_protocol
    events = health.describe_events(filter={"lastUpdatedTimes": [{"from": EPOCH}]})
    assert_valid(health, "DescribeEvents", events)
    arns = [e["arn"] for e in events["events"]]
    assert len(arns) == 4
    assert_valid(health, "DescribeEventDetails", health.describe_event_details(eventArns=[*arns, arns[0] + "X"]))
    assert_valid(health, "DescribeAffectedEntities", health.describe_affected_entities(filter={"eventArns": arns}))
    org_events = health.describe_events_for_organization(filter={"lastUpdatedTime": {"from": EPOCH}})
    assert_valid(health, "DescribeEventsForOrganization", org_events)
    accounts = health.describe_affected_accounts_for_organization(eventArn=arns[0])
    assert_valid(health, "DescribeAffectedAccountsForOrganization", accounts)
    keys = [{"eventArn": arn, "awsAccountId": PRODUCTION} for arn in arns]
    details = health.describe_event_details_for_organization(organizationEventDetailFilters=keys)
    assert_valid(health, "DescribeEventDetailsForOrganization", details)
    entities = health.describe_affected_entities_for_organization(organizationEntityFilters=keys)
    assert_valid(health, "DescribeAffectedEntitiesForOrganization", entities)


def test_organizations_answers_in_its_shape(live):
    organizations = live.client("organizations")  # the default chain: the management account
    assert_valid(organizations, "ListAccounts", organizations.list_accounts())


def test_trustedadvisor_answers_in_its_shapes(live, production):
    live.at_step(5)
    advisor = production("trustedadvisor")
    assert_valid(advisor, "ListChecks", advisor.list_checks(language="en"))
    recommendations = advisor.list_recommendations()
    assert_valid(advisor, "ListRecommendations", recommendations)
    for recommendation in recommendations["recommendationSummaries"]:
        arn = recommendation["arn"]
        assert_valid(advisor, "GetRecommendation", advisor.get_recommendation(recommendationIdentifier=arn))
        resources = advisor.list_recommendation_resources(recommendationIdentifier=arn)
        assert_valid(advisor, "ListRecommendationResources", resources)
