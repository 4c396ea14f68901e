"""The dashboard, its panels, CSVs and drill-downs: who may see them, what they cost, and malformed input."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from kpis import charts, services
from kpis.models import KpiTarget
from notifications.models import Channel, Notification
from tickets.models import Ticket

from ..factories import QueueFactory, TicketFactory, UserFactory
from .conftest import ACK, DAY0, RESOLVE

pytestmark = pytest.mark.django_db
minutes = lambda n: timedelta(minutes=n)  # noqa: E731
QS = "start=2026-03-01&end=2026-03-03"
PANELS = [
    "/dashboard/panel/headline/",
    "/dashboard/panel/accounts/",
    *(f"/dashboard/chart/{key}/" for key in charts.CHARTS),
    *(f"/dashboard/chart/{key}.csv" for key in charts.CHARTS),
]
DRILL = "/dashboard/tickets/?set=created&" + QS
EVERY_PAGE = ["/dashboard/", *PANELS, DRILL]


def _history(timeline, rows: int) -> list[Ticket]:
    tickets = []
    for n in range(rows):
        ticket = timeline.ticket(at=minutes(n), sev=("SEV1", "SEV2", "SEV3")[n % 3], environment="production")
        timeline.act(ticket, ACK, at=minutes(n + 5))
        if n % 2:
            timeline.act(ticket, RESOLVE, at=minutes(n + 60))
        tickets.append(ticket)
    timeline.settle()
    return tickets


@pytest.mark.parametrize("role", ["requester", "agent"])
@pytest.mark.parametrize("path", EVERY_PAGE)
def test_requesters_and_agents_may_not_see_dashboards(client, request, role, path):
    client.force_login(request.getfixturevalue(role))
    assert client.get(path).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize("path", EVERY_PAGE)
@pytest.mark.parametrize("rows", [3, 12])
def test_every_endpoint_costs_the_same_few_queries_whatever_the_data(
    client, manager, timeline, path, rows, django_assert_max_num_queries
):
    _history(timeline, rows)
    client.force_login(manager)
    client.get("/dashboard/")  # warm the reference cache (severities, queues)
    with django_assert_max_num_queries(12):
        response = client.get(path if "?" in path else f"{path}?{QS}")
    assert response.status_code == 200


def test_the_panels_show_the_figures_and_link_to_the_tickets_behind_them(client, manager, timeline):
    _history(timeline, 6)
    client.force_login(manager)
    headline = client.get(f"/dashboard/panel/headline/?{QS}").content.decode()
    assert 'data-kpi="created"' in headline
    assert "/tickets/?status=all&amp;created_from=2026-03-01&amp;created_to=2026-03-03" in headline
    chart = client.get(f"/dashboard/chart/sla/?{QS}").content.decode()
    assert '<canvas data-chart="chart-data-sla"' in chart
    assert "set=response_missed" in chart
    csv = client.get(f"/dashboard/chart/flow.csv?{QS}")
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0] == "Day,Created (tickets),Resolved (tickets)"
    assert lines[2] == "2026-03-02,6,3"


def test_the_dashboard_page_has_its_filters_panels_and_slots(client, manager):
    client.force_login(manager)
    page = client.get("/dashboard/?period=7d&severity=SEV1").content.decode()
    assert 'hx-get="/dashboard/panel/headline/?' in page
    assert "severity=SEV1" in page
    assert 'hx-get="/maintenance/upcoming/?' in page
    assert 'hx-get="/readiness/panel/?' in page and page.count("severity=SEV1") >= 3  # both slots keep the filter
    assert 'href="/dashboard/"' in page  # the nav link, for those who may see it


def test_the_nav_has_no_dashboard_link_for_agents(client, agent):
    client.force_login(agent)
    assert 'href="/dashboard/"' not in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-13-01&end=2026-03-03", "Enter a valid date"),
        ("start=2026-03-05&end=2026-03-03", "The start date is after the end date"),
        ("queue=no-such-queue", "Select a valid choice"),
        ("account=1234567890123", "An AWS account id is exactly 12 digits"),
        ("start=2020-01-01&end=2026-01-01", "at most three years"),
        ("severity=%00", "Select a valid choice"),
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/dashboard/panel/headline/",
        "/dashboard/chart/flow/",
        "/dashboard/chart/flow.csv",
        "/dashboard/tickets/?set=created",
    ],
)
def test_malformed_filters_get_a_clear_error_not_a_500(client, manager, query, message, path):
    client.force_login(manager)
    response = client.get(f"{path}{'&' if '?' in path else '?'}{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "set=nothing",
        "",
        "set=created&day=yesterday",
        "set=open&band=forever",
        "set=created&cursor=not-a-cursor",
        "set=created&kind=%ff",
    ],
)
def test_malformed_drill_downs_get_a_clear_error(client, manager, query):
    client.force_login(manager)
    response = client.get(f"/dashboard/tickets/?{query}")
    assert response.status_code == 400
    assert "That list can" in response.content.decode()


def test_an_unknown_chart_is_a_404(client, manager):
    client.force_login(manager)
    assert client.get("/dashboard/chart/nope/").status_code == 404
    assert client.get("/dashboard/chart/nope.csv").status_code == 404


def test_a_drill_down_never_shows_a_ticket_the_user_may_not_see(client, agent, timeline):
    # given: an agent allowed dashboards, but who sees only their own queue's tickets
    agent.user_permissions.add(Permission.objects.get(codename="view_dashboards"))
    mine = timeline.ticket()
    theirs = TicketFactory(queue=QueueFactory())
    timeline.settle()
    client.force_login(agent)
    # when
    page = client.get(f"/dashboard/tickets/?set=created&{QS}").content.decode()
    # then
    assert mine.reference in page
    assert theirs.reference not in page


def test_a_drill_down_pages_with_a_cursor(client, manager, timeline):
    tickets = _history(timeline, 30)
    client.force_login(manager)
    first = client.get(f"/dashboard/tickets/?set=created&{QS}")
    assert tickets[-1].reference in first.content.decode()
    cursor = first.context["page"].next_cursor
    second = client.get(f"/dashboard/tickets/?set=created&{QS}&cursor={cursor}").content.decode()
    assert tickets[0].reference in second
    assert tickets[-1].reference not in second


def test_a_drill_down_shows_only_the_set_asked_for(client, manager, timeline):
    tickets = _history(timeline, 4)
    client.force_login(manager)
    page = client.get(f"/dashboard/tickets/?set=resolved&{QS}").content.decode()
    resolved = {t.reference for t in tickets if Ticket.objects.get(pk=t.pk).resolved_at}
    assert resolved and all(ref in page for ref in resolved)
    assert not any(t.reference in page for t in tickets if t.reference not in resolved)


def test_an_agent_with_only_the_permission_sees_the_dashboard_page(client):
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_dashboards"))
    client.force_login(user)
    assert client.get("/dashboard/").status_code == 200


def test_the_dashboard_shows_each_target_met_or_missed(client, manager, timeline):
    _history(timeline, 3)  # all acknowledged within 5 minutes
    KpiTarget.objects.create(kpi="mtta_p50", direction="at_most", value=Decimal(15), window_days=1)
    KpiTarget.objects.create(kpi="created", direction="at_most", value=Decimal(1), window_days=1)
    services.kpi_snapshots_take(day=DAY0)
    client.force_login(manager)
    page = client.get("/dashboard/").content.decode()
    assert page.count("outcome-ok") == 1 and page.count("outcome-failed") == 1
    assert "MTTA, median ≤ 15 min" in page  # the target and its last value in the KPI's unit


def test_chart_csvs_defuse_names_that_a_spreadsheet_would_run(client, manager):
    from ..factories import QueueFactory

    QueueFactory(name='=HYPERLINK("http://evil.example","x")')
    client.force_login(manager)
    body = client.get("/dashboard/chart/times-queue.csv").content.decode()
    assert "'=HYPERLINK" in body and '\n"=HYPERLINK' not in body


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (9.5, "minutes", "9.5 min"),
        (250.4, "minutes", "4.2 h"),
        (3000, "minutes", "2.1 d"),
        (56.2, "hours", "2.3 d"),
        (1.5, "hours", "90.0 min"),
        (-250, "minutes", "-4.2 h"),
    ],
)
def test_durations_read_in_the_unit_that_suits_them(value, unit, shown):
    from kpis.templatetags.kpi_format import duration

    assert duration(value, unit) == shown


def test_the_dashboard_counts_dead_notifications_and_links_admins_to_replay_them(client, manager, admin_user):
    channel = Channel.objects.create(name="Ops", kind=Channel.Kind.EMAIL, email_addresses="ops@example.com")
    base = {"channel": channel, "event": "notice", "reason": "r", "subject": "s", "body": "b"}
    client.force_login(manager)
    assert "dead notification" not in client.get("/dashboard/").content.decode()  # none: no tile

    for key, status in [("a", "dead"), ("b", "dead"), ("c", "failed"), ("d", "pending")]:
        Notification.objects.create(key=key, status=status, **base)

    page = client.get("/dashboard/").content.decode()
    assert "2 dead notifications" in page and "an admin can replay them" in page
    client.force_login(admin_user)
    assert 'href="/admin/notifications/notification/?status__exact=dead"' in client.get("/dashboard/").content.decode()
