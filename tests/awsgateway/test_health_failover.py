"""Health is active-passive (us-east-1, us-east-2): requests are signed for the active region, and go to the other
when the first cannot be reached (AWS Health guide, failover; docs/aws.md#health-failover)."""

import socket
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError
from botocore.stub import Stubber

from awsgateway import clients, health
from awsgateway.errors import AwsUnavailable, AwsUnreachable

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
ARN = "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_0001"
EVENT = {"arn": ARN, "service": "EC2", "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE", "statusCode": "open"}


def _canonical(monkeypatch, name: str | None) -> list[str]:
    """global.health.amazonaws.com resolves to ``name`` (None: it cannot be resolved); returns the lookups made."""
    lookups = []

    def lookup(host):
        lookups.append(host)
        if name is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return name, [host], ["3.5.0.1"]

    monkeypatch.setattr(socket, "gethostbyname_ex", lookup)
    return lookups


@pytest.mark.parametrize(
    ("canonical", "regions"),
    [
        ("health.us-east-2.amazonaws.com", ["us-east-2", "us-east-1"]),
        ("health.us-east-1.amazonaws.com.", ["us-east-1", "us-east-2"]),
        (None, ["us-east-1", "us-east-2"]),  # no DNS (as here): the documented order
        ("elsewhere.example.com", ["us-east-1", "us-east-2"]),
    ],
)
def test_the_active_region_comes_from_the_global_names_canonical_name(monkeypatch, canonical, regions):
    lookups = _canonical(monkeypatch, canonical)
    assert clients.health_regions() == regions
    assert clients.health_regions() == regions
    assert lookups == ["global.health.amazonaws.com"]  # reused for a minute, not asked per call


def test_a_custom_endpoint_has_no_dns_to_ask(monkeypatch, settings):
    settings.AWS_ENDPOINT_URL = "http://sandbox:5000"
    lookups = _canonical(monkeypatch, "health.us-east-2.amazonaws.com")
    assert clients.health_regions() == ["us-east-1"] and lookups == []
    client = clients.client_for(clients.AccountAccess(account_id="1"), "health", region="us-east-1")
    assert client.meta.endpoint_url == "http://sandbox:5000"


@pytest.mark.parametrize("region", ["us-east-1", "us-east-2"])
def test_health_clients_are_signed_for_their_region_on_its_endpoint(access, region):
    client = clients.client_for(access, "health", region=region)
    assert client.meta.region_name == region  # not "aws-global", which is signed us-east-1 whatever is active
    assert client.meta.endpoint_url == f"https://health.{region}.amazonaws.com"


def _regional(monkeypatch, access, *, unreachable: set[str], exc=EndpointConnectionError):
    """Real clients per region; those in ``unreachable`` fail on the wire, the others answer through a Stubber."""
    built, stubs = {}, {}

    def client_for(acc, service, *, region=None, once=False):
        if region not in built:
            client = clients.client_for(acc, service, region=region, once=once)
            if region in unreachable:

                def fail(request, **kwargs):
                    raise exc(endpoint_url=request.url, error="connection reset")

                client.meta.events.register("before-send", fail)
            else:
                stubs[region] = Stubber(client)
                stubs[region].activate()
            built[region] = client
        return built[region]

    # Stubs must exist before the code under test asks for them
    for region in clients.HEALTH_REGIONS:
        client_for(access, "health", region=region)
    monkeypatch.setattr(clients, "client_for", client_for)
    return stubs


def test_an_unreachable_active_region_fails_over_to_the_other(monkeypatch, access):
    _canonical(monkeypatch, "health.us-east-1.amazonaws.com")
    stubs = _regional(monkeypatch, access, unreachable={"us-east-1"})
    stubs["us-east-2"].add_response("describe_events", {"events": [EVENT]})
    stubs["us-east-2"].add_response(
        "describe_event_details", {"successfulSet": [{"event": EVENT, "eventDescription": {"latestDescription": "x"}}]}
    )

    assert [e.arn for e in health.events_since(access, SINCE)] == [ARN]
    assert health.event_details(access, [ARN]) == {ARN: "x"}
    stubs["us-east-2"].assert_no_pending_responses()


def test_the_active_region_is_asked_first(monkeypatch, access):
    _canonical(monkeypatch, "health.us-east-2.amazonaws.com")
    stubs = _regional(monkeypatch, access, unreachable=set())
    stubs["us-east-2"].add_response("describe_events", {"events": [EVENT]})

    assert [e.arn for e in health.events_since(access, SINCE)] == [ARN]
    stubs["us-east-2"].assert_no_pending_responses()  # and nothing queued in us-east-1 was needed


def test_both_regions_unreachable_is_retryable(monkeypatch, access):
    _canonical(monkeypatch, None)
    _regional(monkeypatch, access, unreachable={"us-east-1", "us-east-2"}, exc=ConnectionClosedError)
    with pytest.raises(AwsUnreachable):
        list(health.events_since(access, SINCE))


def test_an_answer_from_the_active_region_is_not_failed_over(monkeypatch, access):
    # A refusal or a 5xx is the service answering: the other region is passive and would not know better
    _canonical(monkeypatch, "health.us-east-1.amazonaws.com")
    stubs = _regional(monkeypatch, access, unreachable=set())
    stubs["us-east-1"].add_client_error("describe_events", service_error_code="InternalFailure", http_status_code=500)
    with pytest.raises(AwsUnavailable) as caught:
        list(health.events_since(access, SINCE))
    assert not isinstance(caught.value, AwsUnreachable)


def test_organisational_view_status_is_read(monkeypatch, access):
    _canonical(monkeypatch, None)
    stubs = _regional(monkeypatch, access, unreachable=set())
    stubs["us-east-1"].add_response(
        "describe_health_service_status_for_organization", {"healthServiceAccessStatusForOrganization": "DISABLED"}
    )
    assert health.organization_view_status(access) == "DISABLED"
