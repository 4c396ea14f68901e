"""The finance view: savings open now, found and realised, by account and check, on hand-built findings."""

from datetime import date
from decimal import Decimal

import pytest

from kpis.filters import KpiScope
from kpis.finance import finance_report

from .trends_data import account, finding, ta_check

pytestmark = pytest.mark.django_db

MARCH = KpiScope(start=date(2026, 3, 1), end=date(2026, 3, 31))


@pytest.fixture
def estate():
    """Two accounts' cost findings, in and around March, and a security finding that is no money."""
    payments, data = account("111122223333", "Payments"), account("444455556666", "Data", environment="staging")
    idle, volumes = ta_check("Idle load balancers"), ta_check("Underutilized EBS volumes")
    return {
        "found": finding(payments, idle, "a", first_seen="2026-03-05 10:00", savings="100.50"),
        "open": finding(payments, volumes, "b", first_seen="2026-01-05 10:00", savings="20.25"),
        "realised": finding(
            data, idle, "c", first_seen="2026-01-05 10:00", savings="300.00", resolved="2026-03-20 10:00"
        ),
        "found_and_realised": finding(
            data, volumes, "d", first_seen="2026-03-02 10:00", savings="0.10", resolved="2026-03-03 10:00"
        ),
        "long_gone": finding(
            payments, idle, "e", first_seen="2025-01-05 10:00", savings="999.00", resolved="2026-02-20 10:00"
        ),
        "unpriced": finding(data, idle, "f", first_seen="2026-02-05 10:00"),
        "security": finding(
            payments, ta_check("Exposed access keys", "security"), "g", first_seen="2026-03-05 10:00", savings="50.00"
        ),
    }


def test_savings_by_account(estate, manager):
    report = finance_report(scope=MARCH, user=manager)
    assert [row["account__name"] for row in report.by_account] == ["Payments", "Data"]
    payments, data = report.by_account
    assert (payments["open_now"], payments["open_now_savings"]) == (2, Decimal("120.75"))
    assert (payments["found"], payments["found_savings"]) == (1, Decimal("100.50"))
    assert (payments["realised"], payments["realised_savings"]) == (0, Decimal("0.00"))
    assert (data["open_now"], data["open_now_savings"]) == (1, Decimal("0.00"))
    assert (data["found"], data["found_savings"]) == (1, Decimal("0.10"))
    assert (data["realised"], data["realised_savings"]) == (2, Decimal("300.10"))
    assert report.totals == {
        "open_now": 3,
        "found": 2,
        "realised": 2,
        "open_now_savings": Decimal("120.75"),
        "found_savings": Decimal("100.60"),
        "realised_savings": Decimal("300.10"),
    }
    assert all(isinstance(value, Decimal) for key, value in report.totals.items() if key.endswith("_savings"))
    assert report.headline["realised_savings"] == "US$300.10"


def test_savings_by_check(estate, manager):
    by_check = {row["ta_check__name"]: row for row in finance_report(scope=MARCH, user=manager).by_check}
    assert set(by_check) == {"Idle load balancers", "Underutilized EBS volumes"}
    assert by_check["Idle load balancers"]["open_now_savings"] == Decimal("100.50")
    assert by_check["Idle load balancers"]["realised_savings"] == Decimal("300.00")
    assert by_check["Underutilized EBS volumes"]["found"] == 1


def test_filters_by_account_and_environment(estate, manager):
    staging = finance_report(scope=KpiScope(start=MARCH.start, end=MARCH.end, environment="staging"), user=manager)
    assert [row["account__name"] for row in staging.by_account] == ["Data"]
    payments = finance_report(scope=KpiScope(start=MARCH.start, end=MARCH.end, account="111122223333"), user=manager)
    assert payments.totals["realised_savings"] == Decimal("0.00")
    february = finance_report(scope=KpiScope(start=date(2026, 2, 1), end=date(2026, 2, 28)), user=manager)
    assert february.totals["realised_savings"] == Decimal("999.00")


def test_findings_link_their_tickets(estate, manager):
    columns, rows, links = finance_report(scope=MARCH, user=manager).table("findings")
    assert columns[0] == "Ticket"
    assert rows[0][:3] == [estate["realised"].group.ticket.reference, "Data", "Idle load balancers"]
    assert rows[0][5:7] == [Decimal("300.00"), "Realised"]
    assert links[0] == f"/tickets/{estate['realised'].group.ticket.reference}/"
    assert estate["long_gone"].group.ticket.reference not in {row[0] for row in rows}


def test_page_shows_money_and_links(client, manager, estate):
    client.force_login(manager)
    page = client.get("/finance/", {"start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    assert "US$120.75" in page and "US$300.10" in page
    assert f'href="/tickets/{estate["found"].group.ticket.reference}/"' in page
    assert 'href="/tickets/?status=all&amp;kind=aws_finding&amp;account=111122223333"' in page
    assert 'id="chart-finance"' in page


def test_csv_keeps_numbers_as_numbers(client, manager, estate):
    client.force_login(manager)
    response = client.get("/finance/accounts.csv", {"start": "2026-03-01", "end": "2026-03-31"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert (
        lines[0]
        == "\ufeffAccount,Account id,Open now,Open now US$/month,Found,Found US$/month,Realised,Realised US$/month"
    )
    assert lines[1] == "Payments,111122223333,2,120.75,1,100.50,0,0.00"


def test_empty_estate_shows_empty_states(client, manager):
    client.force_login(manager)
    page = client.get("/finance/").content.decode()
    assert "No cost-optimisation findings for these filters." in page
    assert "US$0.00" in page


@pytest.mark.parametrize("findings", [2, 20])
def test_page_queries_do_not_grow(client, manager, findings, django_assert_max_num_queries):
    aws = account("111122223333", "Payments")
    check = ta_check("Idle load balancers")
    for n in range(findings):
        finding(aws, check, f"r{n}", first_seen="2026-03-05 10:00", savings="1.00")
    client.force_login(manager)
    client.get("/finance/")
    with django_assert_max_num_queries(3):  # by account, by check, the findings
        response = client.get("/finance/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert f"US${findings}.00" in response.content.decode()


def test_someone_with_dashboards_but_not_every_ticket_sees_only_findings_of_their_tickets(client, estate):
    from django.contrib.auth.models import Permission

    from accounts.roles import Role, user_set_role

    from ..factories import UserFactory

    stakeholder = UserFactory()
    user_set_role(user=stakeholder, role=Role.REQUESTER)
    stakeholder.user_permissions.add(Permission.objects.get(codename="view_dashboards"))
    client.force_login(stakeholder)

    report = finance_report(scope=MARCH, user=stakeholder)
    page = client.get("/finance/?start=2026-03-01&end=2026-03-31").content.decode()

    assert report.by_account == [] and report.by_check == []
    assert "/tickets/SD-" not in page
