"""The ticket list's date filters and its CSV export."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from tickets.filters import TicketFilterForm
from tickets.models import Ticket

from ..factories import QueueFactory, TicketFactory, UserFactory, severity
from .helpers import html_refs

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def created_on(ticket: Ticket, when: datetime) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(created_at=when)
    return ticket


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"created_from": "2026-02-30"}, "created_from", "Enter a valid date."),
        ({"created_from": "yesterday"}, "created_from", "Enter a valid date."),
        ({"created_from": "2026-03-02", "created_to": "2026-03-01"}, "created_to", "The created range ends before"),
        ({"resolved_from": "2026-03-02", "resolved_to": "2026-03-01"}, "resolved_to", "The resolved range ends"),
        ({"created_to": "9999-12-31"}, "created_to", "Pick a date between 1970 and 2999."),
        ({"resolved_from": "0001-01-01"}, "resolved_from", "Pick a date between 1970 and 2999."),
    ],
)
def test_date_filters_refuse_bad_dates_with_a_message(params, field, message):
    form = TicketFilterForm(params)
    assert not form.is_valid()
    assert any(error.startswith(message) for error in form.errors[field])


def test_created_range_is_inclusive_in_the_site_time_zone(client, manager, settings):
    # given: Paris time; tickets just before, at the start of, at the end of, and just after 1-2 March there
    settings.TIME_ZONE = "Europe/Paris"
    paris_midnight = datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # 1 March 00:00 in Paris
    before, first, last, after = (
        created_on(TicketFactory(), paris_midnight + offset)
        for offset in (timedelta(seconds=-1), timedelta(0), timedelta(days=2, seconds=-1), timedelta(days=2))
    )
    client.force_login(manager)
    # when
    response = client.get("/tickets/", {"status": "all", "created_from": "2026-03-01", "created_to": "2026-03-02"})
    # then
    assert set(html_refs(response)) == {first.reference, last.reference}
    assert "Created from 2026-03-01 to 2026-03-02" in " ".join(response.content.decode().split())
    assert before.reference not in html_refs(response) and after.reference not in html_refs(response)


def test_resolved_range_leaves_out_open_tickets(client, manager):
    resolved, still_open = TicketFactory(), TicketFactory()
    Ticket.objects.filter(pk=resolved.pk).update(status="resolved", resolved_at=timezone.now())
    today = timezone.localdate().isoformat()
    client.force_login(manager)
    response = client.get("/tickets/", {"status": "all", "resolved_from": today, "resolved_to": today})
    assert html_refs(response) == [resolved.reference]
    assert still_open.reference not in html_refs(response)


def test_dashboard_link_parameters_filter_the_list(client, manager):
    # given: the link the KPI dashboard draws for one bar
    queue = QueueFactory()
    wanted = TicketFactory(
        queue=queue, severity=severity("SEV2"), environment="production", aws_account_id="123456789012", kind="incident"
    )
    TicketFactory(queue=queue, severity=severity("SEV3"), environment="production", aws_account_id="123456789012")
    day = timezone.localdate().isoformat()
    client.force_login(manager)
    response = client.get(
        "/tickets/",
        {
            "status": "all",
            "created_from": day,
            "created_to": day,
            "severity": "SEV2",
            "queue": queue.slug,
            "environment": "production",
            "account": "123456789012",
            "kind": "incident",
        },
    )
    assert html_refs(response) == [wanted.reference]


def test_list_shows_bad_dates_without_failing(client, manager):
    client.force_login(manager)
    response = client.get("/tickets/", {"created_from": "2026-13-01", "created_to": "2026-01-01"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def test_list_links_the_export_with_its_filters(client, manager):
    client.force_login(manager)
    response = client.get("/tickets/", {"status": "all", "created_from": "2026-03-01"})
    assert 'href="/tickets/export.csv?status=all&amp;created_from=2026-03-01"' in response.content.decode()


def test_export_has_the_columns_and_values(client, manager, settings):
    # given
    agent = UserFactory(role=Role.AGENT, first_name="Alex", last_name="Moreno")
    queue = QueueFactory(name="Payments", members=[agent], default_assignee=agent)
    requester = UserFactory(first_name="Riya", last_name="Shah")
    ticket = TicketFactory(
        title="Ünïcode café",
        queue=queue,
        requester=requester,
        severity=severity("SEV2"),
        environment="production",
        aws_account_id="123456789012",
    )
    Ticket.objects.filter(pk=ticket.pk).update(resolution_due_at=timezone.now() - timedelta(minutes=1))
    client.force_login(manager)
    # when
    response = client.get("/tickets/export.csv", {"status": "all"})
    # then
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="tickets-{timezone.localdate():%Y-%m-%d}.csv"'
    header, row = read_csv(response)
    record = dict(zip(header, row, strict=True))
    assert record["Reference"] == ticket.reference
    assert record["Title"] == "Ünïcode café"
    assert (record["Kind"], record["Status"], record["Severity"]) == ("Incident", "New", "SEV2")
    assert (record["Queue"], record["Assignee"], record["Requester"]) == ("Payments", "Alex Moreno", "Riya Shah")
    assert (record["Environment"], record["AWS account"]) == ("Production", "123456789012")
    assert record["Breaching SLA"] == "yes"
    assert record["Acknowledged"] == ""
    assert record["Link"] == f"http://testserver/tickets/{ticket.reference}/"
    assert header[-4:] == ["Response due", "Resolution due", "Breaching SLA", "Link"]


@pytest.mark.parametrize("title", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"])
def test_export_defuses_formulas(client, manager, title):
    ticket = TicketFactory()
    Ticket.objects.filter(pk=ticket.pk).update(title=title)
    client.force_login(manager)
    _, row = read_csv(client.get("/tickets/export.csv"))
    assert row[1] == f"'{title}"


def test_export_applies_the_filters(client, manager):
    old = created_on(TicketFactory(), timezone.now() - timedelta(days=10))
    new = TicketFactory()
    client.force_login(manager)
    day = timezone.localdate().isoformat()
    rows = read_csv(client.get("/tickets/export.csv", {"created_from": day}))
    assert [row[0] for row in rows[1:]] == [new.reference]
    assert old.reference not in {row[0] for row in rows}


def test_requester_exports_only_their_own_tickets(client, requester):
    mine = TicketFactory(requester=requester)
    TicketFactory()
    client.force_login(requester)
    rows = read_csv(client.get("/tickets/export.csv", {"status": "all"}))
    assert [row[0] for row in rows[1:]] == [mine.reference]


def test_agent_exports_only_their_queues_tickets(client, agent, queue, other_queue):
    ours = TicketFactory(queue=queue)
    TicketFactory(queue=other_queue)
    client.force_login(agent)
    # a filter naming another queue cannot widen what they see
    assert read_csv(client.get("/tickets/export.csv", {"queue": other_queue.slug}))[1:] == []
    rows = read_csv(client.get("/tickets/export.csv"))
    assert [row[0] for row in rows[1:]] == [ours.reference]


def test_export_needs_sign_in(client):
    response = client.get("/tickets/export.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "query",
    [
        "created_from=2026-02-31",
        "created_from=2026-03-02&created_to=2026-03-01",
        "account=12",
        "status=nope",
        "created_to=%00",
        "severity[]=x&created_from=99999-01-01",
    ],
)
def test_export_refuses_bad_filters_with_400(client, manager, query):
    client.force_login(manager)
    response = client.get(f"/tickets/export.csv?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content


def test_export_streams_many_rows_in_a_few_queries(client, manager, django_assert_max_num_queries):
    # given: more tickets than one chunk holds, with people to name
    queue, person = QueueFactory(), UserFactory()
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(
            title=f"Ticket {n}",
            severity=severity("SEV3"),
            queue=queue,
            requester=person,
            assignee=person,
            created_at=now,
            response_due_at=now,
            resolution_due_at=now,
        )
        for n in range(4500)
    )
    client.force_login(manager)
    client.get("/tickets/export.csv")  # person and permissions now cached, as for anyone browsing
    # when: three chunks of at most 2,000, a query each, after the person's two permission queries
    with django_assert_max_num_queries(5):
        response = client.get("/tickets/export.csv", {"status": "all"})
        rows = read_csv(response)
    # then
    assert response.streaming
    assert len(rows) == 4501
    ids = [int(row[0].split("-")[1]) for row in rows[1:]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4500


def test_api_takes_the_date_filters(manager):
    from .helpers import api_client

    old = created_on(TicketFactory(), timezone.now() - timedelta(days=3))
    TicketFactory()
    day = (timezone.localdate() - timedelta(days=3)).isoformat()
    response = api_client(manager).get("/api/tickets/", {"created_from": day, "created_to": day})
    assert [row["reference"] for row in response.json()["results"]] == [old.reference]
    bad = api_client(manager).get("/api/tickets/", {"created_from": "2026-03-02", "created_to": "2026-03-01"})
    assert bad.status_code == 400
    assert "created_to" in bad.json()


def test_date_filters_name_the_active_ranges():
    form = TicketFilterForm({"created_from": "2026-03-01", "resolved_to": "2026-03-31"})
    assert form.date_filters() == [("Created", date(2026, 3, 1), None), ("Resolved", None, date(2026, 3, 31))]


def test_api_pages_through_a_created_range(manager):
    from .helpers import api_client

    tickets = [TicketFactory() for _ in range(5)]
    day = timezone.localdate().isoformat()
    client, seen, url = api_client(manager), [], f"/api/tickets/?created_from={day}&page_size=2"
    while url:
        body = client.get(url).json()
        seen += [row["reference"] for row in body["results"]]
        url = body["next"]
    assert seen == [t.reference for t in reversed(tickets)]


def test_schema_documents_the_date_filters(client, manager):
    client.force_login(manager)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    names = {p["name"] for p in schema["paths"]["/api/tickets/"]["get"]["parameters"]}
    assert {"created_from", "created_to", "resolved_from", "resolved_to"} <= names


@pytest.mark.parametrize("sort", ["newest", "oldest", "severity", "due", "updated"])
def test_export_walks_every_ticket_once_in_the_list_order(manager, sort):
    from tickets.selectors import ticket_export_chunks, ticket_list

    for name in ("SEV1", "SEV3", "SEV2", "SEV3", "SEV1", "SEV4", "SEV2"):
        TicketFactory(severity=severity(name))
    ranged = timezone.localdate().isoformat() if sort == "oldest" else ""  # the (created_at, id) order too
    form = TicketFilterForm({"sort": sort, "created_from": ranged})
    assert form.is_valid()
    chunks = list(ticket_export_chunks(user=manager, form=form, chunk_size=2))
    exported = [row["id"] for chunk in chunks for row in chunk]
    listed = list(ticket_list(user=manager, form=form).order_by(*form.ordering).values_list("id", flat=True))
    assert exported == listed and len(exported) == 7
    assert [len(chunk) for chunk in chunks] == [2, 2, 2, 1]
