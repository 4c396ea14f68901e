import pytest

from accounts.roles import Role
from awsgateway.errors import AwsAccessDenied
from integrations.models import AwsAccount

from ..factories import QueueFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return AwsAccount.objects.create(
        account_id="123456789012",
        name="Payments prod",
        owner_queue=QueueFactory(),
        support_api="plan_too_low",
        capability_note="The AWS Support and Health APIs need a Business-level plan.",
    )


@pytest.mark.parametrize(
    ("role", "status"), [(Role.REQUESTER, 403), (Role.AGENT, 200), (Role.MANAGER, 200), (Role.ADMIN, 200)]
)
def test_account_pages_are_for_support_staff(client, account, role, status):
    client.force_login(UserFactory(role=role))
    assert client.get("/aws/accounts/").status_code == status
    assert client.get(f"/aws/accounts/{account.pk}/").status_code == status


def test_the_account_page_says_what_works_and_why_not(client, account):
    client.force_login(UserFactory(role=Role.AGENT))
    page = client.get(f"/aws/accounts/{account.pk}/").content.decode()
    assert "Needs a Business-level plan" in page
    assert "Support and Health APIs need a Business-level plan" in page
    assert "Check and poll now" not in page  # agents read; admins act


def test_admins_queue_a_check_and_others_may_not(client, account, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    for task in ("account_capability_refresh_task", "trusted_advisor_poll_task", "health_poll_task"):
        monkeypatch.setattr(f"integrations.tasks.{task}.delay", lambda pk, task=task: queued.append((task, pk)))
    client.force_login(UserFactory(role=Role.MANAGER))
    assert client.post(f"/aws/accounts/{account.pk}/check/").status_code == 403
    client.force_login(UserFactory(role=Role.ADMIN))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/aws/accounts/{account.pk}/check/")
    assert response.status_code == 302
    assert queued == [
        ("account_capability_refresh_task", account.pk),
        ("trusted_advisor_poll_task", account.pk),
        ("health_poll_task", account.pk),
    ]


def test_an_empty_registry_says_how_to_start(client):
    client.force_login(UserFactory(role=Role.MANAGER))
    assert "No AWS accounts yet" in client.get("/aws/accounts/").content.decode()


def test_the_account_page_shows_each_sources_last_poll_findings_and_windows(
    client, account, fake_aws, django_assert_max_num_queries
):
    from awsgateway.health import Entity
    from integrations.findings import services as findings_services
    from integrations.health import services as health_services

    from .fake_aws import LOW_UTILISATION, T0, health_event, idle_instance

    fake_aws.flag(account.account_id, LOW_UTILISATION, idle_instance("i-1", "$10.00"), idle_instance("i-2", "$2.50"))
    future = health_event(1, status="upcoming", category="scheduledChange")
    future = future.__class__(**{**future.__dict__, "start_time": T0.replace(year=2099), "end_time": None})
    fake_aws.publish(account.account_id, future)
    fake_aws.entities[(future.arn, account.account_id)] = [Entity(future.arn, "i-9", "", "PENDING", {})]
    findings_services.trusted_advisor_poll(account=account)
    health_services.health_poll(account=account)
    fake_aws.fail_with = AwsAccessDenied("AWS denied access to health:DescribeEvents; check the role.")
    health_services.health_poll(account=account)
    client.force_login(UserFactory(role=Role.AGENT))

    with django_assert_max_num_queries(12):
        page = client.get(f"/aws/accounts/{account.pk}/").content.decode()

    assert "<title>Payments prod ·" in page
    assert "2 open findings" in page and "$12.50" in page
    assert "outcome-ok" in page and "outcome-failed" in page
    assert "AWS denied access to health:DescribeEvents" in page and "Grant the role" in page  # the latest, in words
    assert "EC2" in page and "1 resource" in page  # the upcoming maintenance window


def test_the_account_list_shows_the_last_polls(client, account, fake_aws):
    from integrations.findings import services as findings_services

    findings_services.trusted_advisor_poll(account=account)
    client.force_login(UserFactory(role=Role.MANAGER))
    page = client.get("/aws/accounts/").content.decode()
    assert "TA ok" in page and "Health —" in page


@pytest.mark.parametrize("resources", [3, 30])
def test_a_finding_tickets_aws_panel_lists_its_resources_in_constant_queries(
    client, prod_account, fake_aws, resources, django_assert_max_num_queries
):
    from integrations.findings import services as findings_services
    from tickets.models import Ticket

    from .fake_aws import LOW_UTILISATION, idle_instance

    fake_aws.flag(
        prod_account.account_id, LOW_UTILISATION, *(idle_instance(f"i-{n}", f"${n}.00") for n in range(resources))
    )
    findings_services.trusted_advisor_poll(account=prod_account)
    ticket = Ticket.objects.get(kind="aws_finding")
    client.force_login(UserFactory(role=Role.MANAGER))

    # 11: one of them looks for the maintenance window the ticket was raised during
    with django_assert_max_num_queries(11):
        page = client.get(f"/aws/tickets/{ticket.reference}/").content.decode()

    assert "Low Utilization Amazon EC2 Instances" in page and f"{resources} flagged now" in page
    assert f"i-{resources - 1}" in page and "Instance ID" in page


def test_the_aws_panel_is_a_404_for_tickets_you_may_not_see(client, prod_account, fake_aws):
    from integrations.findings import services as findings_services
    from tickets.models import Ticket

    from .fake_aws import LOW_UTILISATION, idle_instance

    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))
    findings_services.trusted_advisor_poll(account=prod_account)
    ticket = Ticket.objects.get(kind="aws_finding")
    client.force_login(UserFactory(role=Role.REQUESTER))
    assert client.get(f"/aws/tickets/{ticket.reference}/").status_code == 404
    assert client.get("/aws/tickets/SD-999999/").status_code == 404
    assert client.get("/aws/tickets/nonsense/").status_code == 404


def test_a_health_tickets_aws_panel_shows_the_event_and_its_window(client, prod_account, fake_aws):
    from awsgateway.health import Entity
    from integrations.health import services as health_services
    from tickets.models import Ticket

    from .fake_aws import health_event

    event = health_event(1, status="upcoming", category="scheduledChange")
    fake_aws.publish(prod_account.account_id, event)
    fake_aws.entities[(event.arn, prod_account.account_id)] = [
        Entity(event.arn, "i-0abc", "", "PENDING", {"team": "payments"})
    ]
    health_services.health_poll(account=prod_account)
    ticket = Ticket.objects.get(kind="aws_health")
    client.force_login(UserFactory(role=Role.MANAGER))

    page = client.get(f"/aws/tickets/{ticket.reference}/").content.decode()

    assert "AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED" in page and "Maintenance window" in page
    assert "i-0abc" in page and "team=payments" in page


def test_a_finding_tickets_page_tells_aws_updates_and_loads_the_aws_panel(client, prod_account, fake_aws):
    from integrations.findings import services as findings_services
    from tickets.models import Ticket

    from .fake_aws import LOW_UTILISATION, idle_instance

    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"), idle_instance("i-2"))
    findings_services.trusted_advisor_poll(account=prod_account)
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-2"))
    findings_services.trusted_advisor_poll(account=prod_account)
    ticket = Ticket.objects.get(kind="aws_finding")
    client.force_login(UserFactory(role=Role.MANAGER))

    page = client.get(f"/tickets/{ticket.reference}/").content.decode()

    assert "Trusted Advisor</span>: 1 resource cleared" in page
    assert "Cleared: eu-west-1a · i-1 · web · m5.large" in page
    assert f'hx-get="/aws/tickets/{ticket.reference}/"' in page
