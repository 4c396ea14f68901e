"""The maintenance pages: who may see and change what, constant queries, malformed input, the ticket's notice."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from integrations.models import AwsAccount, HealthEvent, MaintenanceWindow
from tickets.models import Ticket

from ..factories import QueueFactory, TicketFactory, UserFactory
from .fake_aws import health_event

pytestmark = pytest.mark.django_db


def window(**fields) -> MaintenanceWindow:
    now = timezone.now()
    fields.setdefault("starts_at", now - timedelta(hours=1))
    fields.setdefault("ends_at", now + timedelta(hours=1))
    return MaintenanceWindow.objects.create(**fields)


def _post(on: AwsAccount | None = None, **data) -> dict:
    start = timezone.localtime() + timedelta(days=1)
    return {
        "title": "Database upgrade",
        "account": on.pk if on else "",
        "service": "RDS",
        "region": "eu-west-1",
        "starts_at": f"{start:%Y-%m-%dT%H:%M}",
        "ends_at": f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M}",
        "resources": "db-1",
        "notes": "",
        **data,
    }


@pytest.mark.parametrize("url", ["/maintenance/", "/maintenance/new/", "/maintenance/upcoming/"])
def test_requesters_may_not_see_maintenance(client, requester, url):
    client.force_login(requester)
    assert client.get(url).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get("/maintenance/").status_code == 302


def test_agents_see_the_windows_but_may_not_change_them(client, agent, prod_account):
    made = window(title="Kernel patching", account=prod_account)
    client.force_login(agent)

    page = client.get("/maintenance/").content.decode()

    assert "Kernel patching" in page and 'href="/maintenance/new/"' not in page and "/edit/" not in page
    assert 'href="/maintenance/"' in page  # the nav link
    assert client.get("/maintenance/new/").status_code == 403
    assert client.post("/maintenance/new/", _post()).status_code == 403
    assert client.post(f"/maintenance/{made.pk}/edit/", _post()).status_code == 403
    assert client.post(f"/maintenance/{made.pk}/delete/").status_code == 403
    assert MaintenanceWindow.objects.get().title == "Kernel patching"


def test_a_manager_adds_edits_and_deletes_a_window(client, manager, prod_account):
    client.force_login(manager)

    response = client.post("/maintenance/new/", _post(prod_account))

    made = MaintenanceWindow.objects.get()
    assert response.status_code == 302 and response["Location"].startswith("/maintenance/?month=")
    assert (made.account, made.created_by, made.resources, made.service) == (prod_account, manager, ["db-1"], "RDS")
    page = client.get(response["Location"]).content.decode()
    assert "Maintenance window “Database upgrade” added." in page and 'class="pill pill-manual"' in page

    client.post(f"/maintenance/{made.pk}/edit/", _post(prod_account, title="Database upgrade, part 2"))
    assert MaintenanceWindow.objects.get().title == "Database upgrade, part 2"

    client.post(f"/maintenance/{made.pk}/delete/")
    assert not MaintenanceWindow.objects.exists()


def test_a_bad_post_shows_the_form_again_with_its_errors(client, manager):
    client.force_login(manager)

    response = client.post("/maintenance/new/", _post(ends_at="2000-01-01T00:00", account="12345", region="mars"))

    page = response.content.decode()
    assert response.status_code == 400
    assert "The window must end after it starts." in page
    assert "Choose one of the AWS accounts Supportdesk knows." in page
    assert not MaintenanceWindow.objects.exists()


def test_health_windows_are_read_only_in_the_browser(client, manager, fake_aws, prod_account):
    from integrations.health import services as health_services

    fake_aws.publish(prod_account.account_id, health_event(1, category="scheduledChange"))
    health_services.health_poll(account=prod_account)
    made = MaintenanceWindow.objects.get()
    client.force_login(manager)

    page = client.get("/maintenance/").content.decode()

    assert "AWS Health" in page and f"/maintenance/{made.pk}/edit/" not in page
    assert f'href="{made.ticket.get_absolute_url()}"' in page  # it links to its ticket and account
    assert f'href="/aws/accounts/{prod_account.pk}/"' in page
    assert client.get(f"/maintenance/{made.pk}/edit/").status_code == 403
    assert client.post(f"/maintenance/{made.pk}/edit/", _post()).status_code == 403
    assert client.post(f"/maintenance/{made.pk}/delete/").status_code == 403
    assert MaintenanceWindow.objects.filter(pk=made.pk).exists()
    assert client.get("/maintenance/999999/edit/").status_code == 404


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_queries_whatever_the_number_of_windows(
    client, agent, prod_account, rows, django_assert_max_num_queries
):
    now = timezone.now()
    for n in range(rows):
        made = window(
            title=f"W{n}",
            account=prod_account,
            starts_at=now + timedelta(hours=n),
            ends_at=now + timedelta(hours=n + 1),
            created_by=agent,
        )
        made.ticket = TicketFactory()
        made.save()
    client.force_login(agent)

    # session, user, permissions; the page's count and rows; the calendar's windows
    with django_assert_max_num_queries(8):
        response = client.get("/maintenance/")

    assert response.status_code == 200
    assert response.content.decode().count('<tr id="window-') == min(rows, 25)


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-1",
        "page=99999",
        "month=2026-13",
        "month=abc",
        "month=1000-01",
        "account=123",
        "environment=moon",
        "service=%3Cscript%3E",
        "account=111122223333&month=2026-02&page=2",
        "month=%00",
    ],
)
def test_malformed_query_strings_never_fail(client, agent, query):
    client.force_login(agent)
    assert client.get(f"/maintenance/?{query}").status_code in (200, 400)


def test_the_dashboard_fragment_follows_the_kpi_filters_account_and_environment(
    client, manager, prod_account, django_assert_max_num_queries
):
    staging = AwsAccount.objects.create(
        account_id="444455556666", name="Shop staging", environment="staging", owner_queue=QueueFactory()
    )
    window(title="Prod patching", account=prod_account)
    window(title="Staging patching", account=staging)
    window(title="Everywhere", ends_at=timezone.now() + timedelta(days=1))
    client.force_login(manager)

    # the user and permissions; the KPI filter's severities and queues (cached after); the windows
    with django_assert_max_num_queries(6):
        response = client.get(
            reverse("maintenance-upcoming"), {"environment": "production", "start": "2020-01-01", "end": "2020-01-31"}
        )

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "Prod patching" in page and "Everywhere" in page and "Staging patching" not in page
    by_account = client.get(reverse("maintenance-upcoming"), {"account": "444455556666"}).content.decode()
    assert "Staging patching" in by_account and "Prod patching" not in by_account
    forged = client.get(reverse("maintenance-upcoming"), {"account": "x", "environment": "moon", "period": "9"})
    assert forged.status_code == 200 and "Prod patching" in forged.content.decode()


def test_agents_may_not_read_the_dashboard_fragment(client, agent):
    client.force_login(agent)
    assert client.get(reverse("maintenance-upcoming")).status_code == 403


def _health_ticket(account: AwsAccount, service: str = "EC2") -> Ticket:
    ticket = TicketFactory(kind=Ticket.Kind.AWS_HEALTH, aws_account_id=account.account_id, queue=account.owner_queue)
    HealthEvent.objects.create(
        account=account,
        arn="arn:1",
        service=service,
        region="eu-west-1",
        event_type_code="X",
        category="issue",
        status="open",
        last_updated_at=timezone.now(),
        ticket=ticket,
    )
    return ticket


def test_a_ticket_raised_during_maintenance_says_so_on_its_aws_panel(
    client, manager, prod_account, django_assert_max_num_queries
):
    window(title="EC2 host retirement", account=prod_account, service="EC2")
    ticket = _health_ticket(prod_account)
    client.force_login(manager)

    with django_assert_max_num_queries(11):
        page = client.get(f"/aws/tickets/{ticket.reference}/").content.decode()

    assert "Raised during maintenance:</strong> EC2 host retirement" in page


def test_no_notice_outside_the_window_or_for_another_service(client, manager, prod_account):
    window(
        title="Over",
        account=prod_account,
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=1),
    )
    window(title="RDS only", account=prod_account, service="RDS")
    ticket = _health_ticket(prod_account)
    client.force_login(manager)

    page = client.get(f"/aws/tickets/{ticket.reference}/").content.decode()

    assert "Raised during maintenance" not in page


def test_a_ticket_the_user_may_not_see_shows_no_panel(client, prod_account):
    window(account=prod_account)
    ticket = _health_ticket(prod_account)
    client.force_login(UserFactory(role=Role.AGENT))  # not a member of the account's queue
    assert client.get(f"/aws/tickets/{ticket.reference}/").status_code == 404


def test_the_account_page_lists_windows_for_all_accounts_too(client, agent, prod_account):
    window(title="Org-wide network change", ends_at=timezone.now() + timedelta(days=1))
    client.force_login(agent)

    page = client.get(f"/aws/accounts/{prod_account.pk}/").content.decode()

    assert "Org-wide network change" in page
    assert f'href="/maintenance/?account={prod_account.account_id}"' in page


@pytest.mark.parametrize(
    "forged",
    [
        {"starts_at": "2026-02-30T10:00"},
        {"starts_at": "9999999-01-01T00:00"},
        {"ends_at": "\x00"},
        {"account": "1 OR 1=1"},
        {"account": "-1"},
        {"title": "x" * 500},
        {"resources": "a" * 100_000},
        {"resources": "\n".join(f"i-{n}" for n in range(201))},
        {"service": "EC2" * 40},
        {"region": "eu-west-1; drop"},
        {"starts_at": "0001-01-01T00:00", "ends_at": "0001-01-02T00:00"},  # the calendar could never show these
        {"starts_at": "9999-12-31T22:00", "ends_at": "9999-12-31T23:59"},
    ],
)
def test_forged_posts_are_refused_with_a_message_not_a_500(client, manager, prod_account, forged):
    client.force_login(manager)

    response = client.post("/maintenance/new/", _post(prod_account, **forged))

    assert response.status_code == 400
    assert "Please fix the fields marked below." in response.content.decode()
    assert not MaintenanceWindow.objects.exists()
