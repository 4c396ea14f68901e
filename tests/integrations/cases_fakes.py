"""AWS for the case tests: moto (create, describe, resolve) or the sandbox (all of it, with statuses that hold)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone
from moto import mock_aws

from awsgateway import clients
from awsgateway.support import SupportService
from integrations.models import ApiState, AwsAccount
from tickets.models import Ticket
from tools.sandbox.scenario import PRODUCTION, Clock, demo

from ..factories import QueueFactory, TicketFactory, severity
from ..sandbox.helpers import Live

ALL_SEVERITIES = ["low", "normal", "high", "urgent", "critical"]
BUSINESS_SEVERITIES = ALL_SEVERITIES[:4]
EC2 = SupportService(
    "amazon-elastic-compute-cloud-linux",
    "Elastic Compute Cloud (EC2 - Linux)",
    (("general-guidance", "General Guidance"), ("instance-issue", "Instance Issue")),
)
GENERAL = SupportService("general-info", "General Info and Getting Started", (("using-aws", "Using AWS & Services"),))
ACCOUNT = SupportService("customer-account", "Account", (("other-account-issues", "Other Account Issues"),))
BILLING = SupportService("billing", "Billing", (("other-billing-questions", "Other Billing Questions"),))


def _keys(monkeypatch, key_id: str) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    clients.forget_credentials()


@contextmanager
def moto_support(settings, monkeypatch) -> Iterator[None]:
    """moto behind the portal's own gateway; moto has no describe_services, so the service list is given (technical
    services, and account and billing ones)."""
    settings.AWS_ENDPOINT_URL = None
    _keys(monkeypatch, "testing")
    monkeypatch.setattr("awsgateway.support.support_services", lambda access: [EC2, GENERAL, ACCOUNT, BILLING])
    with mock_aws():
        yield
    clients.forget_credentials()


@contextmanager
def live_sandbox(settings, monkeypatch) -> Iterator[Live]:
    """The sandbox `make run` uses, its story starting now, reached as `make run` reaches it."""
    live = Live(demo(Clock(timezone.now().replace(microsecond=0), 30)))
    live.at_step(0)
    settings.AWS_ENDPOINT_URL = live.url
    _keys(monkeypatch, "AKIASANDBOXDEFAULT00")
    try:
        yield live
    finally:
        live.close()
        clients.forget_credentials()


def case_account(account_id: str = PRODUCTION, severities=ALL_SEVERITIES, **extra) -> AwsAccount:
    return AwsAccount.objects.create(
        account_id=account_id,
        name=extra.pop("name", "Payments production"),
        owner_queue=extra.pop("owner_queue", None) or QueueFactory(),
        role_arn=f"arn:aws:iam::{account_id}:role/SupportdeskRead",
        case_severities=list(severities),
        support_api=ApiState.AVAILABLE if severities else ApiState.PLAN_TOO_LOW,
        **extra,
    )


def production_ticket(account: AwsAccount, queue, **extra) -> Ticket:
    return TicketFactory(
        queue=queue,
        title=extra.pop("title", "Checkout API returns 502"),
        environment="production",
        aws_account_id=account.account_id,
        severity=severity(extra.pop("severity", "SEV1")),
        description="Since 09:00 every checkout fails.",
        **extra,
    )
