import boto3
import pytest
from moto import mock_aws

from integrations import tasks
from integrations.accounts import services as account_services
from integrations.models import AwsAccount, PollRun

from ..factories import QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        yield client


@pytest.fixture
def manager(organization):
    return AwsAccount.objects.create(
        account_id="123456789012",
        name="Org management",
        owner_queue=QueueFactory(),
        environment="staging",
        support_plan="enterprise",
        is_organization_manager=True,
        external_id="shared-secret",
        role_arn="arn:aws:iam::123456789012:role/SupportdeskRead",
    )


def _create(organization, name: str) -> str:
    status = organization.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
    return organization.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"][
        "AccountId"
    ]


def test_discovery_registers_active_members_reached_through_the_member_role(organization, manager):
    member_id = _create(organization, "payments")

    account_services.organization_discover(manager=manager)

    member = AwsAccount.objects.get(account_id=member_id)
    assert member.name == "payments" and member.discovered_by == manager and member.enabled
    assert member.role_arn == f"arn:aws:iam::{member_id}:role/SupportdeskRead"
    assert (member.external_id, member.owner_queue, member.environment, member.support_plan) == (
        "shared-secret",
        manager.owner_queue,
        "staging",
        "enterprise",
    )
    run = PollRun.objects.get(source="organizations")
    assert (run.outcome, run.opened) == ("ok", 1)


def test_rediscovery_changes_nothing_and_members_that_leave_stop_being_polled(organization, manager):
    member_id = _create(organization, "payments")
    account_services.organization_discover(manager=manager)
    account_services.organization_discover(manager=manager)
    assert AwsAccount.objects.filter(discovered_by=manager).count() == 1

    organization.remove_account_from_organization(AccountId=member_id)
    account_services.organization_discover(manager=manager)

    assert AwsAccount.objects.get(account_id=member_id).enabled is False


def test_accounts_an_admin_registered_are_left_alone(organization, manager):
    member_id = _create(organization, "payments")
    mine = AwsAccount.objects.create(account_id=member_id, name="My name for it", owner_queue=QueueFactory())

    account_services.organization_discover(manager=manager)

    mine.refresh_from_db()
    assert (mine.name, mine.discovered_by, mine.role_arn) == ("My name for it", None, "")


def test_health_is_polled_through_the_manager_for_discovered_members(organization, manager, monkeypatch):
    _create(organization, "payments")
    account_services.organization_discover(manager=manager)
    queued = []
    monkeypatch.setattr(tasks.health_poll_task, "delay", queued.append)

    tasks.health_poll_all_task(every=0)  # the whole round at once

    assert queued == [manager.pk]


def test_discovered_members_are_polled_one_task_each_soon_after_discovery(organization, manager, monkeypatch):
    # given: an organisation of three members, just discovered
    member_ids = {_create(organization, name) for name in ("payments", "search", "data")}
    account_services.organization_discover(manager=manager)
    queued = {"trusted_advisor": [], "health": []}
    monkeypatch.setattr(tasks.trusted_advisor_poll_task, "delay", queued["trusted_advisor"].append)
    monkeypatch.setattr(tasks.health_poll_task, "delay", queued["health"].append)
    # when: the minute's overdue sweep runs (new accounts are polled without waiting for their slot)
    tasks.polls_overdue_queue_task()
    # then: Trusted Advisor, one task per account, each spread and retried on its own; Health through the
    # manager's organisational view, which answers for every member in one stream
    members = dict(AwsAccount.objects.filter(discovered_by=manager).values_list("pk", "account_id"))
    assert set(members.values()) == member_ids
    assert sorted(queued["trusted_advisor"]) == sorted([manager.pk, *members])
    assert queued["health"] == [manager.pk]
