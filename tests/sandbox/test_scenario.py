"""The demo story, step by step, as a client sees it."""

from tools.sandbox.scenario import PRODUCTION

from .helpers import EPOCH


def _flagged(support, check_id: str) -> list[dict]:
    return support.describe_trusted_advisor_check_result(checkId=check_id)["result"]["flaggedResources"]


def test_open_security_group_is_flagged_until_step_3(live, production):
    # given: the production account's open SSH port
    support = production("support")
    flagged = _flagged(support, "HCP4007jGY")
    assert [r["metadata"][1] for r in flagged] == ["legacy-bastion-ssh"]
    assert support.describe_trusted_advisor_check_result(checkId="HCP4007jGY")["result"]["status"] == "error"
    # when: the sandbox clears it
    live.at_step(3)
    # then
    result = support.describe_trusted_advisor_check_result(checkId="HCP4007jGY")["result"]
    assert result["status"] == "ok"
    assert result["flaggedResources"] == []
    assert result["timestamp"] == "2026-11-27T09:01:30Z"  # the result changed at step 3


def test_savings_change_keep_the_resource_id(live, production):
    support = production("support")
    before = support.describe_trusted_advisor_check_result(checkId="Qch7DwouX1")["result"]
    live.at_step(5)
    after = support.describe_trusted_advisor_check_result(checkId="Qch7DwouX1")["result"]
    assert before["flaggedResources"][0]["resourceId"] == after["flaggedResources"][0]["resourceId"]
    assert before["flaggedResources"][0]["metadata"][4] == "$138.24"
    assert after["flaggedResources"][0]["metadata"][4] == "$276.48"
    assert after["categorySpecificSummary"]["costOptimizing"]["estimatedMonthlySavings"] == 276.48


def test_unchanged_result_reads_the_same_on_every_poll(live, production):
    support = production("support")
    first = support.describe_trusted_advisor_check_result(checkId="f2iK5R6Dep")["result"]
    live.at_step(7)
    assert support.describe_trusted_advisor_check_result(checkId="f2iK5R6Dep")["result"] == first


def test_new_findings_appear_later(live, production, development):
    assert _flagged(production("support"), "Pfx0RwqBli") == []
    assert _flagged(development("support"), "ZRxQlPsb6c") == []
    live.at_step(8)
    assert len(_flagged(production("support"), "Pfx0RwqBli")) == 1
    assert len(_flagged(development("support"), "ZRxQlPsb6c")) == 1


def test_ec2_issue_is_updated_then_closes(live, production):
    # given: the open EC2 issue in production
    health = production("health")
    issue = {"eventTypeCodes": ["AWS_EC2_OPERATIONAL_ISSUE"]}
    [event] = health.describe_events(filter=issue)["events"]
    assert event["statusCode"] == "open"
    assert event["lastUpdatedTime"] == EPOCH
    assert "endTime" not in event
    descriptions = []
    # when: the story moves on
    for step in (0, 2, 5):
        live.at_step(step)
        [details] = health.describe_event_details(eventArns=[event["arn"]])["successfulSet"]
        descriptions.append(details["eventDescription"]["latestDescription"])
    # then: each update says more, and the last closes it
    assert descriptions[0].startswith("We are investigating")
    assert descriptions[1].startswith("We have identified the root cause")
    assert descriptions[2].startswith("[RESOLVED]")
    [closed] = health.describe_events(filter=issue)["events"]
    assert closed["statusCode"] == "closed"
    assert closed["endTime"] == closed["lastUpdatedTime"] == live.world.clock.time(5)
    entities = health.describe_affected_entities(filter={"eventArns": [event["arn"]]})["entities"]
    assert {e["statusCode"] for e in entities} == {"RESOLVED"}


def test_scheduled_maintenance_lies_ahead_with_tagged_entities(production):
    health = production("health")
    [event] = health.describe_events(filter={"eventTypeCategories": ["scheduledChange"]})["events"]
    assert event["statusCode"] == "upcoming"
    assert event["startTime"] > EPOCH
    [entity] = health.describe_affected_entities(filter={"eventArns": [event["arn"]]})["entities"]
    assert entity["resourceTags"]["team"] == "payments"
    assert entity["statusCode"] == "PENDING"
    assert entity["awsAccountId"] == PRODUCTION


def test_account_notification_is_open(production):
    health = production("health")
    [event] = health.describe_events(filter={"eventTypeCategories": ["accountNotification"]})["events"]
    assert event["eventTypeCode"] == "AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT"
    assert event["statusCode"] == "open"
