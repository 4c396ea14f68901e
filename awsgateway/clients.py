"""Builds every botocore client: regions, endpoint, retries, timeouts and per-account AssumeRole."""

import re
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings
from django.utils import timezone

from . import ratelimit
from .errors import AwsError, translated_errors

# Support and Trusted Advisor are global but documented for us-east-1 only; Organizations always answers there.
# Health is active-passive us-east-1/us-east-2 (see health_regions). STS is regional; we call it in us-east-1.
_REGIONS = {
    "support": "us-east-1",
    "trustedadvisor": "us-east-1",
    "health": "us-east-1",
    "organizations": "us-east-1",
    "sts": "us-east-1",
}
_DEFAULT_REGION = "us-east-1"
HEALTH_REGIONS = ("us-east-1", "us-east-2")
_HEALTH_GLOBAL = "global.health.amazonaws.com"
_HEALTH_CANONICAL = re.compile(r"health\.([a-z0-9-]+)\.amazonaws\.com\.?")
_HEALTH_ACTIVE_TTL = 60.0  # seconds a lookup of the active region is reused
# A custom endpoint (sandbox, moto server) is signed for region_name: one region everywhere keeps fakes consistent.
_ENDPOINT_REGION = "us-east-1"

# Explicit: the default retry mode differs between botocore versions (docs/aws.md#clients-regions-and-retries).
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)
# Calls AWS does not deduplicate (CreateCase, AddCommunicationToCase, Publish) are sent once: a timeout or a 5xx
# retried inside botocore would open a second case; our own retry paths know how to look before trying again.
_ONCE = Config(retries={"mode": "standard", "max_attempts": 0}, connect_timeout=5, read_timeout=30)  # no retry

# The commercial partition only. AWS China (aws-cn) and GovCloud (aws-us-gov) have their own Support, Health,
# Organizations and STS endpoints, signing regions and credentials; clients here are built for the commercial ones,
# so roles elsewhere are refused with the reason rather than sent to endpoints that cannot know them.
_PARTITION = "aws"
_PARTITION_NAMES = {"aws-cn": "AWS China (aws-cn)", "aws-us-gov": "AWS GovCloud (aws-us-gov)"}


class PartitionNotSupported(AwsError):
    """A role in another AWS partition than the commercial one."""


def partition_refusal(role_arn: str) -> str | None:
    """Why Supportdesk cannot reach a role, or None when it can (no role: the default chain)."""
    parts = role_arn.split(":")
    if not role_arn or len(parts) < 2 or parts[1] == _PARTITION:
        return None
    where = _PARTITION_NAMES.get(parts[1], f"the {parts[1]} partition")
    return (
        f"The role is in {where}. Supportdesk reaches accounts in the commercial AWS partition (arn:aws:…) only: "
        "the other partitions have their own Support, Health, Organizations and STS endpoints, which it does not call."
    )


_SESSION_NAME = "supportdesk"
_REFRESH_MARGIN = timedelta(minutes=5)  # re-assume before expiry so in-flight calls never carry stale credentials


@dataclass(frozen=True)
class AccountAccess:
    account_id: str
    role_arn: str = ""
    external_id: str = ""


@dataclass(frozen=True)
class _TempCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime


_credentials: dict[tuple[str, str], _TempCredentials] = {}
_credentials_lock = threading.Lock()


def _endpoint_url() -> str | None:
    return getattr(settings, "AWS_ENDPOINT_URL", None) or None


def _endpoint_for(service: str, region: str) -> str | None:
    if url := _endpoint_url():
        return url
    if service == "health":
        # Named outright: botocore sends us-east-1 to the global name, signed us-east-1 whichever region is active
        return f"https://health.{region}.amazonaws.com"
    return None


_health_active: list[tuple[float, str]] = []


def health_regions() -> list[str]:
    """Health's regions in the order to try them (AWS Health guide, failover): the active one first, as the canonical
    name of global.health.amazonaws.com says, us-east-1 first when that cannot be resolved. A custom endpoint
    (the sandbox) has no DNS to ask: its one region."""
    if _endpoint_url():
        return [_ENDPOINT_REGION]
    now = time.monotonic()
    if not _health_active or now - _health_active[0][0] >= _HEALTH_ACTIVE_TTL:
        try:
            canonical = socket.gethostbyname_ex(_HEALTH_GLOBAL)[0]
        except OSError:  # no DNS, or no such name: the documented order
            canonical = ""
        match = _HEALTH_CANONICAL.fullmatch(canonical)
        active = match.group(1) if match and match.group(1) in HEALTH_REGIONS else HEALTH_REGIONS[0]
        _health_active[:] = [(now, active)]
    active = _health_active[0][1]
    return [active, *(r for r in HEALTH_REGIONS if r != active)]


def _region_for(service: str, region: str | None) -> str:
    if _endpoint_url():
        return _ENDPOINT_REGION
    return region or _REGIONS.get(service, _DEFAULT_REGION)


def _assume_role(role_arn: str, external_id: str) -> _TempCredentials:
    # Our own identity, from the default chain, kept like every default-chain client: keys that rotate by themselves
    # (instance, container, SSO) refresh inside it; static keys changed in the environment need a restart
    sts = client_for(AccountAccess(account_id=""), "sts")
    params = {"RoleArn": role_arn, "RoleSessionName": _SESSION_NAME}
    if external_id:
        params["ExternalId"] = external_id
    with translated_errors():
        creds = sts.assume_role(**params)["Credentials"]
    return _TempCredentials(
        access_key_id=creds["AccessKeyId"],
        secret_access_key=creds["SecretAccessKey"],
        session_token=creds["SessionToken"],
        expiration=creds["Expiration"],
    )


def _credentials_for(role_arn: str, external_id: str) -> _TempCredentials:
    key = (role_arn, external_id)
    # One lock for all roles: assuming is rare, and it stops two threads assuming the same role at once.
    with _credentials_lock:
        cached = _credentials.get(key)
        if cached is None or timezone.now() >= cached.expiration - _REFRESH_MARGIN:
            cached = _credentials[key] = _assume_role(role_arn, external_id)
        return cached


def forget_credentials() -> None:
    """Drop cached role credentials, clients and Health's active region (tests, or after a role's trust policy
    changed)."""
    with _credentials_lock:
        _credentials.clear()
    with _clients_lock:
        _clients.clear()
        _shared.clear()  # the shared Session keeps the first credentials it resolved
    _health_active.clear()


# Building a client costs milliseconds (the service model is loaded once per Session): one client per account,
# service and region is kept and reused (clients are thread-safe), and rebuilt when the role's credentials are
# renewed. One shared Session builds them, under a lock, because Sessions are not thread-safe.
# Kept for the most recently used only: each holds about 160 KiB and its own pool of connections, so a worker
# polling a thousand accounts would otherwise grow by two clients per account it ever saw (measured: issue 15).
CLIENTS_KEPT = 256
_clients: OrderedDict[tuple, tuple[str, Any]] = OrderedDict()
_clients_lock = threading.Lock()
_shared: list[boto3.Session] = []


def _rate_limited(*, caller: str, region: str, service: str, event_name: str, **kwargs) -> None:
    ratelimit.acquire(caller=caller, region=region, service=service, operation=event_name.rsplit(".", 1)[-1])


def client_for(access: AccountAccess, service: str, *, region: str | None = None, once: bool = False) -> Any:
    """A botocore client for ``service`` acting as ``access``'s account; ``once``: no retries inside botocore, for
    calls AWS would carry out twice."""
    if refusal := partition_refusal(access.role_arn):
        raise PartitionNotSupported(refusal)  # accounts registered before roles there were refused
    creds = _credentials_for(access.role_arn, access.external_id) if access.role_arn else None
    signing_region = _region_for(service, region)
    key = (access.role_arn, access.external_id, service, signing_region, _endpoint_for(service, signing_region), once)
    generation = creds.access_key_id if creds else ""
    with _clients_lock:
        cached = _clients.get(key)
        if cached is not None and cached[0] == generation:
            _clients.move_to_end(key)
            return cached[1]
        if not _shared:
            _shared.append(boto3.Session())
        secrets = (
            {}
            if creds is None
            else {  # None: the default chain (environment, instance role)
                "aws_access_key_id": creds.access_key_id,
                "aws_secret_access_key": creds.secret_access_key,
                "aws_session_token": creds.session_token,
            }
        )
        config = _ONCE if once else _CONFIG
        client = _shared[0].client(service, region_name=key[3], endpoint_url=key[4], config=config, **secrets)  # type: ignore[call-overload]  # the stubs want a literal service name
        # Each request sent, botocore's retries included, waits for a token of what AWS throttles on
        caller = access.role_arn.split(":")[4] if access.role_arn else "self"  # no role: our own account
        limited = partial(_rate_limited, caller=caller, region=signing_region, service=service)
        client.meta.events.register("before-send", limited)
        _clients[key] = (generation, client)
        _clients.move_to_end(key)
        while len(_clients) > CLIENTS_KEPT:
            _clients.popitem(last=False)  # not closed: a thread may still be calling it; freed with its last use
        return client
