from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from moto import mock_aws

from awsgateway import clients
from awsgateway.clients import AccountAccess, client_for

ROLE = "arn:aws:iam::210987654321:role/supportdesk"


@pytest.fixture
def assume_calls(monkeypatch):
    calls = []
    real = clients._assume_role

    def spy(role_arn, external_id):
        calls.append((role_arn, external_id))
        return real(role_arn, external_id)

    monkeypatch.setattr(clients, "_assume_role", spy)
    return calls


def _access_key(client) -> str:
    return client._request_signer._credentials.access_key


@mock_aws
def test_role_is_assumed_once_and_reused_until_near_expiry(assume_calls):
    access = AccountAccess(account_id="210987654321", role_arn=ROLE, external_id="ext-123")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = client_for(access, "support")
        second = client_for(access, "health")
        assert assume_calls == [(ROLE, "ext-123")]
        assert _access_key(first) == _access_key(second) != "testing"  # assumed, not the ambient keys

        clock.shift(timedelta(minutes=54))  # moto grants 60 minutes; still outside the 5-minute margin
        client_for(access, "support")
        assert len(assume_calls) == 1

        clock.shift(timedelta(minutes=2))  # within 5 minutes of expiry: re-assume
        third = client_for(access, "support")
        assert len(assume_calls) == 2
        assert _access_key(third) != _access_key(first)


@mock_aws
def test_assumed_credentials_act_as_the_role():
    access = AccountAccess(account_id="210987654321", role_arn=ROLE)
    identity = client_for(access, "sts").get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::210987654321:assumed-role/supportdesk/supportdesk"


@mock_aws
def test_external_id_is_part_of_the_cache_key(assume_calls):
    client_for(AccountAccess("210987654321", ROLE, "a-one"), "support")
    client_for(AccountAccess("210987654321", ROLE, "b-two"), "support")
    assert assume_calls == [(ROLE, "a-one"), (ROLE, "b-two")]


def test_no_role_uses_the_default_chain_without_sts(assume_calls, access):
    client = client_for(access, "support")
    assert _access_key(client) == "testing"
    assert assume_calls == []


@pytest.mark.parametrize(
    ("service", "endpoint"),
    [
        ("support", "https://support.us-east-1.amazonaws.com"),
        ("trustedadvisor", "https://trustedadvisor.us-east-1.amazonaws.com"),
        # Health's active region, named outright: botocore would send us-east-1 to the global name
        ("health", "https://health.us-east-1.amazonaws.com"),
        ("organizations", "https://organizations.us-east-1.amazonaws.com"),
        ("sts", "https://sts.us-east-1.amazonaws.com"),
    ],
)
def test_services_use_their_fixed_endpoint_whatever_the_environment_region(access, service, endpoint, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert client_for(access, service).meta.endpoint_url == endpoint


def test_retries_and_timeouts_are_explicit(access):
    config = client_for(access, "support").meta.config
    # botocore turns max_attempts=5 (retries) into total_max_attempts=6 (first call included).
    assert config.retries == {"mode": "standard", "total_max_attempts": 6}
    assert (config.connect_timeout, config.read_timeout) == (5, 30)


def test_endpoint_url_setting_goes_to_every_client_in_one_region(access, settings):
    settings.AWS_ENDPOINT_URL = "http://sandbox:5000"
    for service in ("support", "health", "sns"):
        client = client_for(access, service, region="eu-west-1")
        assert client.meta.endpoint_url == "http://sandbox:5000"
        assert client.meta.region_name == "us-east-1"


def test_region_can_be_chosen_without_a_custom_endpoint(access):
    assert client_for(access, "sns", region="eu-west-1").meta.region_name == "eu-west-1"


@mock_aws
def test_clients_are_reused_per_account_and_service_until_the_role_is_renewed():
    access = AccountAccess(account_id="210987654321", role_arn=ROLE)
    other = AccountAccess(account_id="310987654321", role_arn="arn:aws:iam::310987654321:role/supportdesk")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = client_for(access, "support")
        assert client_for(access, "support") is first  # building a client costs tens of milliseconds
        assert client_for(access, "health") is not first
        assert client_for(other, "support") is not first

        clock.shift(timedelta(minutes=56))  # inside the renewal margin: new credentials, new client
        renewed = client_for(access, "support")
        assert renewed is not first and _access_key(renewed) != _access_key(first)


@mock_aws
def test_only_the_most_recently_used_clients_are_kept(monkeypatch):
    # A worker polling a thousand accounts must not hold two clients for every account it ever polled
    monkeypatch.setattr(clients, "CLIENTS_KEPT", 3)  # our own STS client, which assumes the roles, is one
    first, second, third = (
        AccountAccess(account_id=f"{n}10987654321", role_arn=f"arn:aws:iam::{n}10987654321:role/supportdesk")
        for n in (2, 3, 4)
    )
    kept = client_for(first, "support")
    evicted = client_for(second, "support")
    assert client_for(first, "support") is kept  # used again: now the most recent
    client_for(third, "support")  # the least recently used, the second account's, goes
    assert len(clients._clients) == 3
    assert client_for(first, "support") is kept
    assert client_for(second, "support") is not evicted  # built again when needed
    assert len(clients._clients) == 3


def test_calls_aws_would_carry_out_twice_are_not_retried_by_botocore(access):
    assert client_for(access, "support").meta.config.retries["total_max_attempts"] == 6
    assert client_for(access, "support", once=True).meta.config.retries["total_max_attempts"] == 1


@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov"])
def test_a_role_in_another_partition_is_refused_before_any_call(assume_calls, partition):
    # registered before such roles were refused: its polls say why, rather than failing at a commercial endpoint
    access = AccountAccess(account_id="210987654321", role_arn=f"arn:{partition}:iam::210987654321:role/sd")
    with pytest.raises(clients.PartitionNotSupported, match="commercial AWS partition"):
        client_for(access, "support")
    assert assume_calls == []
