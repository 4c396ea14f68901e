import tomllib
from datetime import UTC, datetime
from pathlib import Path

import botocore.session
import pytest
from botocore.exceptions import ParamValidationError
from packaging.requirements import Requirement

from awsgateway import health
from awsgateway.errors import AwsPlanTooLow
from awsgateway.health import Entity

from .helpers import stubbed

SINCE = datetime(2026, 11, 1, tzinfo=UTC)


def _arn(n: int) -> str:
    return f"arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_{n:04d}"


def _event(n: int) -> dict:
    return {
        "arn": _arn(n),
        "service": "EC2",
        "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
        "eventTypeCategory": "issue",
        "region": "eu-west-1",
        "startTime": datetime(2026, 11, 20, 10, tzinfo=UTC),
        "lastUpdatedTime": datetime(2026, 11, 20, 11, n, tzinfo=UTC),
        "statusCode": "open",
        "eventScopeCode": "ACCOUNT_SPECIFIC",
    }


def test_events_since_follows_next_token_and_filters_on_last_updated(monkeypatch, access):
    expected_filter = {"filter": {"lastUpdatedTimes": [{"from": SINCE}]}}
    with stubbed(monkeypatch, access, "health") as stub:
        stub.add_response("describe_events", {"events": [_event(1), _event(2)], "nextToken": "page-2"}, expected_filter)
        stub.add_response("describe_events", {"events": [_event(3)]}, {**expected_filter, "nextToken": "page-2"})
        events = list(health.events_since(access, SINCE))

    assert [e.arn for e in events] == [_arn(1), _arn(2), _arn(3)]
    first = events[0]
    assert (first.service, first.event_type_code, first.category, first.region) == (
        "EC2",
        "AWS_EC2_OPERATIONAL_ISSUE",
        "issue",
        "eu-west-1",
    )
    assert (first.status, first.scope, first.end_time) == ("open", "ACCOUNT_SPECIFIC", None)
    assert first.last_updated == datetime(2026, 11, 20, 11, 1, tzinfo=UTC)


def test_events_since_streams_pages_lazily(monkeypatch, access):
    with stubbed(monkeypatch, access, "health") as stub:
        stub.add_response("describe_events", {"events": [_event(1)], "nextToken": "page-2"})
        stub.add_response("describe_events", {"events": [_event(2)]})
        stream = health.events_since(access, SINCE)
        assert next(stream).arn == _arn(1)
        # The second page is still queued: nothing fetched ahead of the consumer.
        with pytest.raises(AssertionError):
            stub.assert_no_pending_responses()
        assert [e.arn for e in stream] == [_arn(2)]


def test_events_since_translates_errors(monkeypatch, access):
    with stubbed(monkeypatch, access, "health") as stub:
        stub.add_client_error("describe_events", service_error_code="SubscriptionRequiredException")
        with pytest.raises(AwsPlanTooLow):
            list(health.events_since(access, SINCE))


def test_event_details_in_batches_of_ten(monkeypatch, access):
    arns = [_arn(n) for n in range(12)]

    def details(batch):
        return {
            "successfulSet": [
                {"event": {"arn": arn}, "eventDescription": {"latestDescription": f"about {arn[-4:]}"}}
                for arn in batch
                if arn != _arn(11)
            ],
            "failedSet": [{"eventArn": _arn(11), "errorName": "NotFound", "errorMessage": "gone"}]
            if _arn(11) in batch
            else [],
        }

    with stubbed(monkeypatch, access, "health") as stub:
        stub.add_response("describe_event_details", details(arns[:10]), {"eventArns": arns[:10]})
        stub.add_response("describe_event_details", details(arns[10:]), {"eventArns": arns[10:]})
        found = health.event_details(access, [*arns, _arn(0)])  # duplicates are asked for once

    assert len(found) == 11
    assert found[_arn(10)] == "about 0010"
    assert _arn(11) not in found


def test_affected_entities_read_resource_tags(monkeypatch, access):
    with stubbed(monkeypatch, access, "health") as stub:
        stub.add_response(
            "describe_affected_entities",
            {
                "entities": [
                    {
                        "eventArn": _arn(1),
                        "entityValue": "i-0abc",
                        "awsAccountId": "123456789012",
                        "statusCode": "IMPAIRED",
                        "resourceTags": {"team": "web", "env": "prod"},
                    }
                ],
                "nextToken": "more",
            },
            {"filter": {"eventArns": [_arn(1)]}},
        )
        stub.add_response(
            "describe_affected_entities",
            {"entities": [{"eventArn": _arn(1), "entityValue": "i-0def", "statusCode": "RESOLVED"}]},
            {"filter": {"eventArns": [_arn(1)]}, "nextToken": "more"},
        )
        entities = list(health.affected_entities(access, [_arn(1)]))

    assert entities == [
        Entity(_arn(1), "i-0abc", "123456789012", "IMPAIRED", {"team": "web", "env": "prod"}),
        Entity(_arn(1), "i-0def", "", "RESOLVED", {}),
    ]


def test_stubber_rejects_the_retired_tags_member(monkeypatch, access):
    # Guards our fixtures: a response using the pre-1.36 `tags` key no longer matches the model.
    with stubbed(monkeypatch, access, "health") as stub, pytest.raises(ParamValidationError, match="tags"):
        stub.add_response("describe_affected_entities", {"entities": [{"entityValue": "i-1", "tags": {"a": "b"}}]})


def test_first_poll_asks_for_open_and_upcoming_events_whatever_their_age(monkeypatch, access):
    with stubbed(monkeypatch, access, "health") as stub:
        stub.add_response(
            "describe_events", {"events": [_event(1)]}, {"filter": {"eventStatusCodes": ["open", "upcoming"]}}
        )
        assert [e.arn for e in health.events_current(access)] == [_arn(1)]


def test_organization_view_uses_a_single_time_range_and_keys_by_account(monkeypatch, access):
    org_event = {k: v for k, v in _event(1).items()}
    with stubbed(monkeypatch, access, "health") as stub:
        stub.add_response(
            "describe_events_for_organization",
            {"events": [org_event]},
            {"filter": {"lastUpdatedTime": {"from": SINCE}}},
        )
        stub.add_response(
            "describe_affected_accounts_for_organization",
            {"affectedAccounts": ["111111111111", "222222222222"]},
            {"eventArn": _arn(1)},
        )
        stub.add_response(
            "describe_event_details_for_organization",
            {
                "successfulSet": [
                    {
                        "awsAccountId": "111111111111",
                        "event": {"arn": _arn(1)},
                        "eventDescription": {"latestDescription": "for one"},
                    },
                ],
                "failedSet": [],
            },
            {
                "organizationEventDetailFilters": [
                    {"eventArn": _arn(1), "awsAccountId": "111111111111"},
                    {"eventArn": _arn(1)},
                ]
            },
        )
        stub.add_response(
            "describe_affected_entities_for_organization",
            {
                "entities": [
                    {
                        "eventArn": _arn(1),
                        "entityValue": "i-1",
                        "awsAccountId": "111111111111",
                        "resourceTags": {"team": "payments"},
                    }
                ]
            },
            {"organizationEntityFilters": [{"eventArn": _arn(1), "awsAccountId": "111111111111"}]},
        )
        events = list(health.organization_events_since(access, SINCE))
        accounts = health.affected_accounts(access, _arn(1))
        details = health.organization_event_details(access, [(_arn(1), "111111111111"), (_arn(1), "")])
        entities = list(health.organization_affected_entities(access, [(_arn(1), "111111111111")]))

    assert [e.arn for e in events] == [_arn(1)]
    assert accounts == ["111111111111", "222222222222"]
    assert details == {(_arn(1), "111111111111"): "for one"}
    assert entities == [Entity(_arn(1), "i-1", "111111111111", "", {"team": "payments"})]


def test_the_declared_boto3_floor_has_the_health_resource_tags_tag_routes_read():
    # botocore 1.44.4 is the first whose AffectedEntity has resourceTags (1.44.3 and older: only `tags`), and each
    # boto3 1.x.y requires botocore >= 1.x.y: a lower floor installs a model where tag routes never match
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    boto3 = next(Requirement(r) for r in pyproject["project"]["dependencies"] if Requirement(r).name == "boto3")
    assert not boto3.specifier.contains("1.44.3") and boto3.specifier.contains("1.44.4")
    members = botocore.session.get_session().get_service_model("health").shape_for("AffectedEntity").members
    assert "resourceTags" in members  # and the installed one has it
