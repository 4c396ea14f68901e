"""Health filters and pages, the organisational view, and the organisation's accounts."""

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tools.sandbox.scenario import BASIC, DEVELOPMENT, PRODUCTION, SUSPENDED

from .helpers import EPOCH

S3_PUBLIC = "arn:aws:health:us-west-2::event/S3/AWS_S3_OPERATIONAL_ISSUE/AWS_S3_OPERATIONAL_ISSUE_R4ND0M_PUB1C"


def _arns(response: dict) -> list[str]:
    return [e["arn"] for e in response["events"]]


def test_events_come_newest_first_in_pages(live, production):
    live.at_step(5)
    health = production("health")
    everything = health.describe_events()["events"]
    stamps = [e["lastUpdatedTime"] for e in everything]
    assert stamps == sorted(stamps, reverse=True)
    pages = health.get_paginator("describe_events").paginate(PaginationConfig={"PageSize": 1})
    assert [arn for page in pages for arn in _arns(page)] == [e["arn"] for e in everything]


def test_filters_narrow_events(live, production):
    live.at_step(5)
    health = production("health")

    def codes(event_filter: dict) -> set[str]:
        return {e["eventTypeCode"] for e in health.describe_events(filter=event_filter)["events"]}

    assert codes({"eventStatusCodes": ["open", "upcoming"]}) == {
        "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED",
        "AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT",
        "AWS_S3_OPERATIONAL_ISSUE",
    }
    assert codes({"lastUpdatedTimes": [{"from": EPOCH + timedelta(seconds=60)}]}) == {"AWS_EC2_OPERATIONAL_ISSUE"}
    assert codes({"entityValues": ["i-0c3d5e7f9a1b2c4d6"]}) == {"AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED"}
    assert codes({"regions": ["ap-south-1"]}) == set()


def test_event_details_name_what_they_cannot_find(production):
    health = production("health")
    missing = "arn:aws:health:us-east-1::event/EC2/AWS_EC2_X/AWS_EC2_X_NOPE"
    known = _arns(health.describe_events())[0]
    details = health.describe_event_details(eventArns=[known, missing])
    assert [d["event"]["arn"] for d in details["successfulSet"]] == [known]
    assert [f["eventArn"] for f in details["failedSet"]] == [missing]


def test_organisational_view_lists_each_event_once_with_singular_time_ranges(live, production):
    live.at_step(4)
    health = production("health")
    events = health.describe_events_for_organization(filter={"lastUpdatedTime": {"from": EPOCH}})["events"]
    arns = [e["arn"] for e in events]
    assert len(arns) == len(set(arns)) == 6  # four in production, two in development, the public one shared
    assert all("availabilityZone" not in e for e in events)
    public = health.describe_affected_accounts_for_organization(eventArn=S3_PUBLIC)
    assert (public["affectedAccounts"], public["eventScopeCode"]) == ([], "PUBLIC")
    ebs = next(e["arn"] for e in events if e["service"] == "EBS")
    specific = health.describe_affected_accounts_for_organization(eventArn=ebs)
    assert (specific["affectedAccounts"], specific["eventScopeCode"]) == ([DEVELOPMENT], "ACCOUNT_SPECIFIC")


def test_the_organisational_view_is_enabled_for_the_management_account_only(production, development):
    status = production("health").describe_health_service_status_for_organization()
    assert status["healthServiceAccessStatusForOrganization"] == "ENABLED"
    with pytest.raises(ClientError, match="AccessDenied"):
        development("health").describe_health_service_status_for_organization()


def test_organisational_details_and_entities_need_the_account_for_account_specific_events(live, production):
    live.at_step(4)
    health = production("health")
    ebs = next(e["arn"] for e in health.describe_events_for_organization()["events"] if e["service"] == "EBS")
    details = health.describe_event_details_for_organization(
        organizationEventDetailFilters=[
            {"eventArn": ebs, "awsAccountId": DEVELOPMENT},
            {"eventArn": ebs},
            {"eventArn": S3_PUBLIC},
        ]
    )
    assert [(d.get("awsAccountId"), d["event"]["arn"]) for d in details["successfulSet"]] == [
        (DEVELOPMENT, ebs),
        (None, S3_PUBLIC),
    ]
    assert [f["eventArn"] for f in details["failedSet"]] == [ebs]
    entities = health.describe_affected_entities_for_organization(
        organizationEntityFilters=[{"eventArn": ebs, "awsAccountId": DEVELOPMENT}]
    )["entities"]
    assert [(e["entityValue"], e["awsAccountId"], e["resourceTags"]["team"]) for e in entities] == [
        ("vol-0e4f6a8b0c2d4e6f8", DEVELOPMENT, "platform")
    ]


def test_affected_entities_filter_by_tag(production):
    health = production("health")
    arns = _arns(health.describe_events())
    by_team = health.describe_affected_entities(filter={"eventArns": arns, "tags": {"team": ["finance"]}})
    assert [e["entityValue"] for e in by_team["entities"]] == [
        f"arn:aws:lambda:us-east-1:{PRODUCTION}:function:nightly-fx-rates"
    ]


def test_organisation_lists_every_account_with_its_state_in_pages(live):
    organizations = live.client("organizations")
    pages = organizations.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 3})
    accounts = [a for page in pages for a in page["Accounts"]]
    assert {a["Id"]: a["State"] for a in accounts} == {
        PRODUCTION: "ACTIVE",
        DEVELOPMENT: "ACTIVE",
        BASIC: "ACTIVE",
        SUSPENDED: "SUSPENDED",
    }
    assert all("Status" not in a for a in accounts)  # retired in 2026 (docs/aws.md#organizations)
