"""The trends page: its arithmetic on hand-built timelines, its access rule, its CSVs and its query count."""

from datetime import date

import pytest

from accounts.roles import Role
from kpis import trends
from kpis.filters import KpiScope
from tickets.models import Ticket

from ..factories import QueueFactory, UserFactory, severity
from .trends_data import account, at, finding, health_event, move, ta_check, ticket_at

pytestmark = pytest.mark.django_db

MARCH = KpiScope(start=date(2026, 3, 1), end=date(2026, 3, 31))
NOW = at("2026-03-03 12:30")


@pytest.fixture
def worker(db):
    return UserFactory(role=Role.ADMIN)


def section(user, build, scope=MARCH, now=NOW) -> trends.Section:
    return build(user=user, scope=scope, now=now)


def test_time_per_status_from_the_timeline(worker):
    # given: one ticket through the whole workflow, one still acknowledged at "now", one from February
    a = ticket_at("2026-03-02 10:00")
    move(a, "2026-03-02 11:00", "acknowledge")
    move(a, "2026-03-02 13:00", "start")
    move(a, "2026-03-02 14:00", "wait_on_requester")
    move(a, "2026-03-02 20:00", "start")
    move(a, "2026-03-02 22:00", "resolve")
    b = ticket_at("2026-03-03 09:00")
    move(b, "2026-03-03 09:30", "acknowledge")
    old = ticket_at("2026-02-27 09:00")
    move(old, "2026-03-02 09:00", "acknowledge")
    # when
    rows = section(worker, trends.status_time).rows
    # then: New 1 h and 0.5 h; Acknowledged 2 h and 3 h (to now); In progress 1 h and 2 h; waiting 6 h
    assert rows == [
        ["New", 2, 1.5, 0.8],
        ["Acknowledged", 2, 5.0, 2.5],
        ["In progress", 2, 3.0, 1.5],
        ["Waiting on requester", 1, 6.0, 6.0],
    ]
    assert "Waiting on requester" in section(worker, trends.status_time).hint


def test_kinds_per_week_and_other_dimensions(worker):
    queue = QueueFactory()
    ticket_at("2026-03-02 10:00", queue=queue)  # week of 2 March
    ticket_at("2026-03-08 23:59", queue=queue, kind=Ticket.Kind.SERVICE_REQUEST)  # still that week
    ticket_at("2026-03-09 00:00", queue=queue, severity=severity("SEV1"))  # the next
    ticket_at("2026-03-09 00:00")  # another queue
    result = section(worker, trends.categories, scope=KpiScope(start=MARCH.start, end=MARCH.end, queue_id=queue.pk))
    assert result.columns == ["Week", "Incident", "Service request"]
    assert result.rows[:3] == [["2026-02-23", 0, 0], ["2026-03-02", 1, 1], ["2026-03-09", 1, 0]]
    assert len(result.rows) == 6  # weeks starting 23 Feb to 30 Mar
    assert result.chart["datasets"][0] == {"label": "Incident", "data": [0, 1, 1, 0, 0, 0]}
    assert result.hint.startswith("Incident tickets make up 66% of the 3:")
    sev1 = KpiScope(start=MARCH.start, end=MARCH.end, severity_id=severity("SEV1").pk)
    assert section(worker, trends.categories, scope=sev1).rows[2] == ["2026-03-09", 1]


def test_tags_are_counted_over_the_period(worker):
    ticket_at("2026-03-02 10:00", tags=["vpn", "wifi"])
    ticket_at("2026-03-05 10:00", tags=["vpn"])
    ticket_at("2026-04-05 10:00", tags=["wifi"])
    assert section(worker, trends.tags).rows == [["vpn", 2], ["wifi", 1]]


def test_checks_flagging_per_week(worker):
    aws = account("111122223333", "Payments")
    idle, volumes = ta_check("Idle load balancers"), ta_check("Underutilized EBS volumes")
    finding(aws, idle, "a", first_seen="2026-03-02 10:00")
    finding(aws, idle, "b", first_seen="2026-03-10 10:00")
    finding(aws, volumes, "c", first_seen="2026-03-10 11:00")
    finding(aws, volumes, "d", first_seen="2026-02-10 11:00")  # before the period
    result = section(worker, trends.checks)
    assert result.columns == ["Week", "Idle load balancers", "Underutilized EBS volumes"]
    assert result.rows[1:3] == [["2026-03-02", 1, 0], ["2026-03-09", 1, 1]]
    other = KpiScope(start=MARCH.start, end=MARCH.end, account="999988887777")
    assert section(worker, trends.checks, scope=other).rows == []


def test_repeat_incidents_on_the_same_resource(worker):
    # given: a finding whose ticket was resolved and came back twice in March; a Health resource hit twice
    aws = account("111122223333", "Payments")
    flagged = finding(aws, ta_check("Exposed access keys", "security"), "k", first_seen="2026-02-20 10:00")
    ticket = flagged.group.ticket
    for day in ("2026-03-02", "2026-03-10"):
        move(ticket, f"{day} 10:00", "resolve")
        move(ticket, f"{day} 12:00", "reopen")
    move(ticket, "2026-02-25 10:00", "resolve")  # events are counted by their time, not their order
    move(ticket, "2026-02-25 11:00", "reopen")
    health_event(aws, "arn:1", "2026-03-03 08:00", ["i-0abc", "i-0def"])
    health_event(aws, "arn:2", "2026-03-20 08:00", ["i-0abc"])
    health_event(aws, "arn:3", "2026-01-20 08:00", ["i-0def"])  # before the period
    # when
    result = section(worker, trends.repeats)
    # then
    assert result.rows == [
        ["Trusted Advisor", "Payments", "Exposed access keys", "one resource", 3, 1],
        ["AWS Health", "Payments", "EC2", "i-0abc", 2, 2],
    ]
    assert result.links[0] == f"/tickets/{ticket.reference}/"
    assert "kind=aws_health" in result.links[1] and "account=111122223333" in result.links[1]


def test_busiest_queues_link_to_their_tickets(worker):
    busy, quiet = QueueFactory(name="Busy", slug="busy"), QueueFactory(name="Quiet", slug="quiet")
    for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
        ticket_at(f"{day} 10:00", queue=busy)
    done = ticket_at("2026-03-02 10:00", queue=quiet)
    move(done, "2026-03-02 11:00", "resolve")
    result = section(worker, trends.busiest_queues, now=at("2026-03-05 12:00"))
    # SEV3 tickets are due within days: the ones from 2 and 3 March are past due on the 5th
    assert result.rows[0][:3] == ["Busy", 3, 3]
    assert result.rows[1] == ["Quiet", 1, 0, 0]
    assert result.links[0] == ("/tickets/?status=all&created_from=2026-03-01&created_to=2026-03-31&queue=busy")


def test_empty_period_gives_empty_sections(worker):
    empty = KpiScope(start=date(2020, 1, 1), end=date(2020, 1, 31))
    for build in trends.SECTIONS.values():
        result = section(worker, build, scope=empty)
        assert (result.rows, result.chart, result.hint) == ([], None, "")


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT])
@pytest.mark.parametrize("path", ["/trends/", "/trends/queues.csv", "/finance/", "/finance/accounts.csv"])
def test_only_dashboard_holders_get_in(client, role, path):
    client.force_login(UserFactory(role=role))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/trends/", "/finance/", "/trends/tags.csv"])
def test_anonymous_people_sign_in_first(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_see_the_page_and_the_nav_link(client, role):
    client.force_login(UserFactory(role=role))
    response = client.get("/trends/")
    assert response.status_code == 200
    assert 'href="/trends/"' in response.content.decode()
    assert 'href="/finance/"' in response.content.decode()


def test_agents_have_no_nav_link(client, agent):
    client.force_login(agent)
    assert 'href="/trends/"' not in client.get("/").content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-13-01&end=2026-01-01",
        "start=2026-03-05&end=2026-03-01",
        "period=forever",
        "account=abc",
        "queue=nope&severity=SEV9",
        "start=0001-01-01&end=9999-12-31",
        "start=%00&end=%ff",
        "period[]=7d",
        "start=2026-03-01",
        "start=9999-12-31&end=9999-12-31",
        "start=0001-01-01&end=0001-01-02",
    ],
)
@pytest.mark.parametrize("path", ["/trends/", "/finance/", "/trends/status-time.csv", "/finance/findings.csv"])
def test_malformed_filters_never_fail(client, manager, query, path):
    client.force_login(manager)
    response = client.get(f"{path}?{query}")
    ignored = "[]" in query  # an unknown parameter is ignored, not an error
    if path.endswith("/"):  # the page shows the default period under the errors, as a 400 like the dashboard
        assert response.status_code == (200 if ignored else 400)
        assert ignored or "Those filters don't work" in response.content.decode()
    else:  # a file would carry the default period under a misleading name: refused, with the reason
        assert response.status_code == (200 if ignored else 400)


def test_unknown_csv_is_404(client, manager):
    client.force_login(manager)
    assert client.get("/trends/nope.csv").status_code == 404
    assert client.get("/finance/nope.csv").status_code == 404


def test_csv_holds_the_table_for_the_same_filters(client, manager):
    queue = QueueFactory(slug="payments")
    ticket_at("2026-03-02 10:00", queue=queue, tags=["=cmd|' /C calc'!A0"])
    ticket_at("2026-03-02 10:00", tags=["vpn"])
    client.force_login(manager)
    response = client.get("/trends/tags.csv", {"start": "2026-03-01", "end": "2026-03-31", "queue": "payments"})
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Disposition"] == 'attachment; filename="trends-tags-20260301-20260331.csv"'
    assert body == "\ufeffTag,Tickets\r\n'=cmd|' /c calc'!a0,1\r\n"  # tags are kept lower-case


@pytest.mark.parametrize("rows", [3, 30])
def test_page_queries_do_not_grow_with_tickets(client, manager, rows, django_assert_max_num_queries):
    aws = account("111122223333", "Payments")
    check = ta_check("Idle load balancers")
    for n in range(rows):
        ticket = ticket_at(f"2026-03-{n % 28 + 1:02d} 10:00", tags=[f"tag{n % 5}"], queue=QueueFactory())
        move(ticket, f"2026-03-{n % 28 + 1:02d} 11:00", "acknowledge")
        finding(aws, check, f"r{n}", first_seen=f"2026-03-{n % 28 + 1:02d} 10:00", savings="10.00")
    client.force_login(manager)
    client.get("/trends/")
    with django_assert_max_num_queries(10):  # seven aggregates; status time in a savepoint with its settings
        response = client.get("/trends/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code == 200
    assert response.content.decode().count("<canvas") == 5


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, "30d"),
        ({"period": "90d"}, "90d"),
        ({"start": "2026-03-01", "end": "2026-03-31"}, "custom"),
        ({"start": "2026-03-05", "end": "2026-03-01"}, "30d"),
    ],
)
def test_the_filter_shows_the_period_in_use(client, manager, query, shown):
    client.force_login(manager)
    page = client.get("/trends/", query).content.decode()
    assert f'<option value="{shown}" selected>' in page
    assert page.count(" selected>") == 1 + 3  # the period, and queue, severity and environment at "any"


def test_status_time_gives_up_at_its_budget(worker, monkeypatch):
    # given: a query that takes longer than the budget
    ticket_at("2026-03-02 10:00")
    monkeypatch.setattr(trends, "STATUS_TIME_BUDGET_MS", 50)

    def slow(*, tickets, names, open_statuses):  # the real query's parameters, in the same order
        return (
            f"SELECT 'new', 1, 1.0, pg_sleep(0.5)::text::float FROM (SELECT CASE 'x' {names} END) AS n,"
            f" (SELECT %s::timestamptz) AS now, ({tickets}) AS t WHERE 'x' NOT IN ({open_statuses})"
        )

    monkeypatch.setattr(trends, "_stays_sql", slow)
    # when
    result = section(worker, trends.status_time)
    # then: no figures, and a sentence that says why
    assert result.rows == [] and result.chart is None
    assert result.note.startswith("Too many tickets in this range")
    assert Ticket.objects.count() == 1  # the connection is still usable


def test_repeat_resources_are_listed_only_from_tickets_the_reader_may_see(worker):
    from django.contrib.auth.models import Permission

    from accounts.roles import user_set_role

    aws = account("111122223333", "Payments")
    flagged = finding(aws, ta_check("Exposed access keys", "security"), "k", first_seen="2026-02-20 10:00")
    move(flagged.group.ticket, "2026-03-02 10:00", "resolve")
    move(flagged.group.ticket, "2026-03-02 12:00", "reopen")
    health_event(aws, "arn:1", "2026-03-03 08:00", ["i-0abc"])
    health_event(aws, "arn:2", "2026-03-20 08:00", ["i-0abc"])
    stakeholder = UserFactory()
    user_set_role(user=stakeholder, role=Role.REQUESTER)
    stakeholder.user_permissions.add(Permission.objects.get(codename="view_dashboards"))

    assert len(section(worker, trends.repeats).rows) == 2
    assert section(stakeholder, trends.repeats).rows == []
    assert section(stakeholder, trends.checks).rows == []
