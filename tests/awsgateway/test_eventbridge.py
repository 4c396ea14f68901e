from datetime import UTC, datetime
from decimal import Decimal

import pytest

from awsgateway import eventbridge


def _health(**detail):
    return {
        "source": "aws.health",
        "account": "123456789012",
        "time": "2026-11-27T09:05:00Z",
        "detail": {"eventArn": "arn:aws:health:global::event/IAM/X/X_1", **detail},
    }


def test_health_times_are_rfc_1123_and_global_means_no_region():
    pushed = eventbridge.health_event(
        _health(
            startTime="Wed, 15 Feb 2023 22:07:07 GMT",
            lastUpdatedTime="Wed, 15 Feb 2023 23:00:00 GMT",
            eventRegion="global",
            statusCode="open",
        )
    )
    assert pushed.event.start_time == datetime(2023, 2, 15, 22, 7, 7, tzinfo=UTC)
    assert pushed.event.last_updated == datetime(2023, 2, 15, 23, tzinfo=UTC)
    assert pushed.event.region == "" and pushed.account_id == "123456789012"


def test_health_falls_back_to_the_envelope_time_and_reads_both_entity_spellings():
    pushed = eventbridge.health_event(
        _health(
            affectedEntities=[
                {"entityValue": "i-1", "status": "IMPAIRED", "tags": {"team": "web"}},
                {"entityValue": "i-2", "statusCode": "RESOLVED"},
                {"no": "value"},
                "junk",
            ],
            eventDescription=[
                {"language": "fr_FR", "latestDescription": "non"},
                {"language": "en_US", "latestDescription": "yes"},
            ],
            affectedAccount="210987654321",
        )
    )
    assert pushed.event.last_updated == datetime(2026, 11, 27, 9, 5, tzinfo=UTC)
    assert [(e.value, e.status, e.tags) for e in pushed.entities] == [
        ("i-1", "IMPAIRED", {"team": "web"}),
        ("i-2", "RESOLVED", {}),
    ]
    assert pushed.description == "yes" and pushed.account_id == "210987654321"


def test_trusted_advisor_statuses_and_savings_are_read_from_the_columns():
    item = eventbridge.trusted_advisor_item(
        {
            "source": "aws.trustedadvisor",
            "account": "123456789012",
            "detail": {
                "check-name": "Idle Load Balancers",
                "status": "WARN",
                "resource_id": "",
                "check-item-detail": {
                    "Region": "eu-west-1",
                    "Load Balancer Name": "lb",
                    "Estimated Monthly Savings": "$1,018.40",
                    "Reason": None,
                },
            },
        }
    )
    assert (item.status, item.region, item.resource_arn) == ("warning", "eu-west-1", "")
    assert item.estimated_monthly_savings == Decimal("1018.40") and item.details["Reason"] == ""


@pytest.mark.parametrize("status", ["", "INFO", None])
def test_unknown_trusted_advisor_statuses_are_malformed(status):
    with pytest.raises(eventbridge.MalformedEvent):
        eventbridge.trusted_advisor_item(
            {"account": "123456789012", "detail": {"check-name": "x", "status": status, "check-item-detail": {}}}
        )


@pytest.mark.parametrize("member", ["eventArn", "service", "eventTypeCode", "statusCode", "eventRegion"])
def test_values_longer_than_aws_sends_are_malformed(member):
    with pytest.raises(eventbridge.MalformedEvent, match="longer than AWS ever sends"):
        eventbridge.health_event(_health(**{member: "x" * 2000}))


@pytest.mark.parametrize(
    "odd", [{"eventDescription": 5}, {"affectedEntities": 7}, {"eventDescription": [{"language": None}]}]
)
def test_odd_shapes_are_malformed_or_ignored_never_a_crash(odd):
    try:
        pushed = eventbridge.health_event(_health(**odd))
    except eventbridge.MalformedEvent:
        return
    assert pushed.description == ""


def test_times_without_a_zone_are_not_aws_times():
    pushed = eventbridge.health_event(_health(lastUpdatedTime="2026-11-27T09:00:00", startTime="2026-11-27 09:00"))
    assert pushed.event.start_time is None
    assert pushed.event.last_updated.tzinfo is not None  # the envelope's time, which has a zone
