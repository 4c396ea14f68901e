"""The REST API as a client sees it: validation, filters, keyset pages, tokens, workflow errors, schema."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.drainage import reset_generator_stats
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from supportdesk.keyset import InvalidCursor, keyset_page
from tickets import services
from tickets.models import Ticket
from tickets.workflow import Action

from ..factories import QueueFactory, TicketFactory, severity
from .helpers import api_client, api_refs, forged_cursor

pytestmark = pytest.mark.django_db
S = Ticket.Status


# Creating: bad input is a 400 that names the field, never a 500 ------------------------------------

GOOD = {"title": "VPN drops every hour", "severity": "SEV3"}

BAD_CREATES = [
    pytest.param({"severity": "SEV3"}, "title", "required", id="missing-title"),
    pytest.param({**GOOD, "title": "   "}, "title", "blank", id="blank-title"),
    pytest.param({**GOOD, "title": "x" * 201}, "title", "200 characters", id="long-title"),
    pytest.param({**GOOD, "title": ["VPN", "down"]}, "title", "as text", id="title-not-a-string"),
    pytest.param({"title": "VPN drops"}, "severity", "required", id="missing-severity"),
    pytest.param({**GOOD, "severity": "SEV9"}, "severity", "Unknown severity", id="unknown-severity"),
    pytest.param({**GOOD, "severity": {"name": "SEV1"}}, "severity", "Unknown severity", id="severity-object"),
    pytest.param({**GOOD, "aws_account_id": "12345"}, "aws_account_id", "exactly 12 digits", id="short-account"),
    pytest.param({**GOOD, "aws_account_id": "12345678901a"}, "aws_account_id", "exactly 12 digits", id="bad-account"),
    pytest.param({**GOOD, "aws_account_id": 111122223333}, "aws_account_id", "as text", id="account-number"),
    pytest.param({**GOOD, "queue": "no-such-queue"}, "queue", "Unknown queue", id="unknown-queue"),
    pytest.param({**GOOD, "kind": "gossip"}, "kind", "not a valid choice", id="unknown-kind"),
    pytest.param({**GOOD, "environment": 3}, "environment", "not a valid choice", id="environment-number"),
    pytest.param({**GOOD, "tags": "vpn, laptop"}, "tags", "Expected a list", id="tags-not-a-list"),
    pytest.param({**GOOD, "description": "bad\x00byte"}, "description", "Null characters", id="nul-in-description"),
]


@pytest.mark.parametrize(("body", "field", "message"), BAD_CREATES)
def test_create_refuses_bad_input_with_a_message_per_field(requester, body, field, message):
    response = api_client(requester).post("/api/tickets/", body, format="json")
    assert response.status_code == 400
    assert message in " ".join(str(m) for m in response.json()[field])
    assert not Ticket.objects.exists()


def test_requester_filing_a_kind_for_agents_only_is_forbidden(requester):
    # a 403, not a 400: the kind is valid (the schema lists it), the requester may not use it
    response = api_client(requester).post("/api/tickets/", {**GOOD, "kind": "aws_finding"}, format="json")
    assert (response.status_code, response.json()) == (403, {"detail": "Only agents may file tickets of this kind."})
    assert not Ticket.objects.exists()


def test_create_refuses_a_body_that_is_not_an_object(requester):
    response = api_client(requester).post("/api/tickets/", ["VPN drops", "SEV3"], format="json")
    assert response.status_code == 400
    assert "Expected a dictionary" in response.json()["non_field_errors"][0]


def test_create_refuses_a_body_that_is_not_json(requester):
    response = api_client(requester).post("/api/tickets/", '{"title": "VPN', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_create_files_a_ticket_and_returns_it(requester, queue):
    body = {**GOOD, "queue": queue.slug, "environment": "production", "tags": ["vpn"]}
    response = api_client(requester).post("/api/tickets/", body, format="json")
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert response.json()["reference"] == ticket.reference
    assert (ticket.requester, ticket.queue, ticket.severity.name) == (requester, queue, "SEV3")
    assert response.json()["tags"] == ["vpn"]


def test_a_requester_may_not_name_an_aws_account(requester):
    # the account triggers rules, up to an AWS Support case at "Production system down"
    body = {**GOOD, "aws_account_id": "111122223333"}
    response = api_client(requester).post("/api/tickets/", body, format="json")
    assert response.status_code == 400
    assert "Only staff may set the AWS account" in response.json()["aws_account_id"][0]
    assert not Ticket.objects.exists()


def test_an_agent_names_the_aws_account(agent):
    body = {**GOOD, "aws_account_id": "111122223333"}
    assert api_client(agent).post("/api/tickets/", body, format="json").status_code == 201
    assert Ticket.objects.get().aws_account_id == "111122223333"


# Paging parameters --------------------------------------------------------------------------------


def test_huge_page_size_is_capped_at_one_hundred_rows(agent, queue):
    TicketFactory.create_batch(101, queue=queue)
    response = api_client(agent).get("/api/tickets/", {"page_size": 10**9})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 100
    assert response.json()["next"]


@pytest.mark.parametrize("page_size", ["ten", "1e3", "9" * 5000], ids=["word", "float", "5000-digits"])
def test_page_size_that_is_not_a_number_is_a_400(agent, page_size):
    response = api_client(agent).get("/api/tickets/", {"page_size": page_size})
    assert response.status_code == 400
    assert "whole number" in response.json()["page_size"]


STALE = "This page link is out of date; start again from the first page."
BAD_CURSORS = [
    pytest.param("not a cursor!", id="garbage"),
    pytest.param("x", id="truncated-base64"),
    pytest.param(forged_cursor(b"\xff\xfe\xfd"), id="not-utf8"),
    pytest.param(forged_cursor([1, 2]), id="not-an-object"),
    pytest.param(forged_cursor({"v": [5]}), id="no-direction"),
    pytest.param(forged_cursor({"v": [5, 6], "b": False}), id="too-many-values"),
    pytest.param(forged_cursor({"v": "5", "b": False}), id="values-not-a-list"),
    pytest.param(forged_cursor({"v": ["SD-5"], "b": False}), id="value-of-the-wrong-type"),
    pytest.param(forged_cursor({"v": [None], "b": False}), id="null-value"),
    pytest.param(forged_cursor(b'{"v": [Infinity], "b": false}'), id="infinite-value"),
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_forged_or_garbage_cursor_is_a_400(agent, queue, cursor):
    TicketFactory(queue=queue)
    response = api_client(agent).get("/api/tickets/", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json() == {"cursor": STALE}


# Dates at the calendar's edge: in UTC they fall outside the years Python (and SQLite's adapter) can hold
EDGE_DATES = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]


@pytest.mark.parametrize("edge", EDGE_DATES)
def test_cursor_with_a_date_at_the_edge_of_the_calendar_is_refused_when_read(edge):
    # SQLite raised OverflowError in its query adapter (a 500); the cursor's reader now refuses it before any query
    with pytest.raises(InvalidCursor, match="out of date"):
        keyset_page(
            Ticket.objects.all(),
            ordering=["-updated_at", "-id"],
            cursor=forged_cursor({"v": [edge, 5], "b": False}),
            size=5,
        )


@pytest.mark.parametrize("edge", EDGE_DATES)
@pytest.mark.parametrize("sort", ["updated", "due"])
def test_cursor_with_a_date_at_the_edge_of_the_calendar_is_a_400(agent, queue, sort, edge):
    TicketFactory(queue=queue)
    cursor = forged_cursor({"v": [edge, 5], "b": False})
    response = api_client(agent).get("/api/tickets/", {"sort": sort, "cursor": cursor})
    assert (response.status_code, response.json()) == (400, {"cursor": STALE})


# Filters ------------------------------------------------------------------------------------------

BAD_FILTERS = [
    ("status", "sleeping"),
    ("severity", "SEV9"),
    ("queue", "no-such-queue"),
    ("assignee", "bob"),
    ("requester", "you"),
    ("kind", "gossip"),
    ("environment", "moon"),
    ("account", "12345"),
    ("sort", "random"),
    ("q", "x" * 201),
]


@pytest.mark.parametrize(("name", "value"), BAD_FILTERS)
def test_invalid_filter_value_is_a_400_naming_the_filter(agent, name, value):
    response = api_client(agent).get("/api/tickets/", {name: value})
    assert response.status_code == 400
    assert list(response.json()) == [name]


@pytest.fixture
def catalogue(agent, queue) -> dict:
    """Tickets the agent sees, each different in one way the filters can tell apart."""
    second_queue = QueueFactory(members=[agent])
    long_ago = timezone.now() - timedelta(days=60)
    tickets = {
        "db-down": TicketFactory(
            queue=queue,
            title="Database down",
            severity=severity("SEV1"),
            environment="production",
            aws_account_id="111111111111",
        ),
        "bucket": TicketFactory(
            queue=second_queue,
            title="Need a staging bucket",
            description="Terraform wants one.",
            kind="service_request",
            environment="staging",
            severity=severity("SEV4"),
        ),
        "laptop": TicketFactory(queue=queue, title="New laptop", kind="it_request", environment="development"),
        "old": TicketFactory(queue=queue, title="Forgotten printer", now=long_ago, severity=severity("SEV5")),
        "done": TicketFactory(queue=queue, title="Password reset"),
    }
    services.ticket_transition(ticket=tickets["db-down"], actor=agent, action=Action.ACKNOWLEDGE)  # takes it
    services.ticket_transition(ticket=tickets["done"], actor=agent, action=Action.RESOLVE, note="Reset.")
    return {"tickets": tickets, "second_queue": second_queue}


def test_filters_return_the_matching_rows(agent, catalogue):
    t = catalogue["tickets"]
    cases = {
        (): {"db-down", "bucket", "laptop", "old"},  # open tickets by default
        (("status", "all"),): set(t),
        (("status", "resolved"),): {"done"},
        (("status", "acknowledged"),): {"db-down"},
        (("severity", "SEV1"),): {"db-down"},
        (("queue", catalogue["second_queue"].slug),): {"bucket"},
        (("assignee", "me"),): {"db-down"},
        (("assignee", "none"),): {"bucket", "laptop", "old"},
        (("assignee", str(agent.pk)),): {"db-down"},
        (("kind", "service_request"),): {"bucket"},
        (("kind", "it_request"),): {"laptop"},
        (("environment", "staging"),): {"bucket"},
        (("account", "111111111111"),): {"db-down"},
        (("q", "terraform"),): {"bucket"},  # description, any case
        (("q", "DATABASE"),): {"db-down"},
        (("q", t["laptop"].reference),): {"laptop"},
        (("q", t["laptop"].reference.lower()),): {"laptop"},
        (("q", str(t["laptop"].pk)),): {"laptop"},
        (("q", t["done"].reference),): set(),  # resolved, and the default is open only
        (("q", t["done"].reference), ("status", "all")): {"done"},
        (("breaching", "true"),): {"old"},
        (("severity", "SEV1"), ("environment", "staging")): set(),
    }
    client = api_client(agent)
    for params, names in cases.items():
        response = client.get("/api/tickets/", dict(params))
        assert response.status_code == 200, params
        assert set(api_refs(response)) == {t[name].reference for name in names}, params


def test_search_for_a_foreign_reference_finds_the_text(agent, queue):
    patched = TicketFactory(queue=queue, title="Patch CVE-2024 on the web servers")
    response = api_client(agent).get("/api/tickets/", {"q": "CVE-2024"})
    assert api_refs(response) == [patched.reference]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("newest", ["old", "laptop", "bucket", "db-down"]),
        ("oldest", ["db-down", "bucket", "laptop", "old"]),
        ("severity", ["db-down", "laptop", "bucket", "old"]),
        ("due", ["old", "db-down", "laptop", "bucket"]),
    ],
)
def test_sort_orders_the_rows(agent, catalogue, sort, order):
    response = api_client(agent).get("/api/tickets/", {"sort": sort})
    assert api_refs(response) == [catalogue["tickets"][name].reference for name in order]


# Keyset pages -------------------------------------------------------------------------------------


@pytest.fixture
def same_millisecond(agent, queue) -> list[Ticket]:
    """Seven tickets made within one millisecond, as a busy ingestion makes them."""
    base = timezone.now().replace(microsecond=250_000)
    tickets = []
    for i in range(7):
        moment = base + timedelta(microseconds=10 * i)
        with time_machine.travel(moment, tick=False):  # updated_at is auto_now
            tickets.append(TicketFactory(queue=queue, now=moment, severity=severity(f"SEV{i % 3 + 1}")))
    return tickets


def walk(client: APIClient, url: str, link: str) -> tuple[list[list[str]], str | None]:
    """Follow `link` from `url` to the end; the pages seen, and the url of the last one."""
    pages, last = [], None
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(api_refs(response))
        last, url = url, response.json()[link]
    return pages, last


@pytest.mark.parametrize(
    "sort",
    [
        "newest",
        "oldest",
        "severity",
        "due",
        "updated",
    ],
)
def test_keyset_pages_walk_every_row_once_forwards_and_back(agent, same_millisecond, sort):
    client = api_client(agent)
    everything = api_refs(client.get("/api/tickets/", {"sort": sort, "page_size": 100}))
    assert len(everything) == 7
    # when: forwards along the next links
    with CaptureQueriesContext(connection) as queries:
        forwards, last_url = walk(client, f"/api/tickets/?sort={sort}&page_size=3", "next")
    # then
    assert [len(page) for page in forwards] == [3, 3, 1]
    assert [ref for page in forwards for ref in page] == everything
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    first = client.get(f"/api/tickets/?sort={sort}&page_size=3").json()
    assert first["previous"] is None
    # when: back from the last page along the previous links
    backwards, _ = walk(client, last_url, "previous")
    # then: the same pages, in reverse
    assert backwards == forwards[::-1]


def test_comments_page_oldest_first_without_counting(agent, queue):
    ticket = TicketFactory(queue=queue)
    for n in range(5):
        services.comment_add(ticket=ticket, author=agent, body=f"Step {n}")
    client = api_client(agent)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/tickets/{ticket.reference}/comments/", {"page_size": 2})
        bodies = [c["body"] for c in response.json()["results"]]
        while response.json()["next"]:
            response = client.get(response.json()["next"])
            bodies += [c["body"] for c in response.json()["results"]]
    assert bodies == [f"Step {n}" for n in range(5)]
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


# Token authentication -----------------------------------------------------------------------------


def test_token_authenticates_without_a_session(agent, queue):
    ticket = TicketFactory(queue=queue)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    assert api_refs(client.get("/api/tickets/")) == [ticket.reference]
    response = client.post(f"/api/tickets/{ticket.reference}/acknowledge/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"]["id"] == agent.pk


@pytest.mark.parametrize("header", ["Token 0123456789abcdef0123456789abcdef01234567", "Token", "Token a b"])
def test_bad_token_gets_401_with_a_challenge(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/tickets/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"]


def test_renewed_token_replaces_the_old_one(client, agent):
    old = Token.objects.create(user=agent).key
    client.force_login(agent)
    client.post("/profile/")
    new = Token.objects.get(user=agent).key
    assert new != old
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api.get("/api/tickets/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert api.get("/api/tickets/").status_code == 200


# Workflow errors and the timeline -----------------------------------------------------------------

ILLEGAL = [
    pytest.param(None, "reopen", "Back again", "“Reopen” does not apply to a ticket that is new.", id="reopen-new"),
    pytest.param(
        Action.RESOLVE, "acknowledge", "", "“Acknowledge” does not apply to a ticket that is resolved.", id="ack"
    ),
    pytest.param(
        Action.WAIT_ON_AWS,
        "wait_on_aws",
        "",
        "“Wait on AWS” does not apply to a ticket that is waiting on AWS.",
        id="twice",
    ),
    pytest.param(None, "resolve", "", "Say why: “Resolve” needs a note.", id="resolve-without-note"),
    pytest.param(Action.RESOLVE, "reopen", "  ", "Say why: “Reopen” needs a note.", id="reopen-blank-note"),
    pytest.param(
        Action.CLOSE, "start", "", "“Start work” does not apply to a ticket that is closed.", id="start-closed"
    ),
]


@pytest.mark.parametrize(("before", "action", "note", "message"), ILLEGAL)
def test_illegal_transition_is_a_400_with_the_workflow_message(agent, queue, before, action, note, message):
    ticket = TicketFactory(queue=queue)
    if before:
        services.ticket_transition(ticket=ticket, actor=None, action=before, note="Set up.")
    status = Ticket.objects.get(pk=ticket.pk).status
    events = ticket.events.count()
    response = api_client(agent).post(f"/api/tickets/{ticket.reference}/{action}/", {"note": note}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert (Ticket.objects.get(pk=ticket.pk).status, ticket.events.count()) == (status, events)


def test_escalating_a_closed_ticket_is_a_400(agent, queue):
    ticket = TicketFactory(queue=queue)
    services.ticket_transition(ticket=ticket, actor=agent, action=Action.CLOSE)
    response = api_client(agent).post(f"/api/tickets/{ticket.reference}/escalate/", {"reason": "Why not"})
    assert response.status_code == 400
    assert response.json()["detail"] == f"{ticket.reference} is closed; reopen it first."


def test_unknown_action_is_a_404(agent, queue):
    ticket = TicketFactory(queue=queue)
    assert api_client(agent).post(f"/api/tickets/{ticket.reference}/explode/").status_code == 404


def test_patch_records_each_change_on_the_timeline(agent, queue):
    ticket = TicketFactory(queue=queue, severity=severity("SEV3"))
    client = api_client(agent)
    body = {"severity": "SEV1", "environment": "production", "tags": ["db", "prod"], "title": ticket.title}
    response = client.patch(f"/api/tickets/{ticket.reference}/", body, format="json")
    assert response.status_code == 200
    assert (response.json()["severity"], response.json()["tags"]) == ("SEV1", ["db", "prod"])
    timeline = client.get(f"/api/tickets/{ticket.reference}/timeline/").json()["results"]
    changes = {e["data"]["field"]: e["data"] for e in timeline if e["kind"] == "field_changed"}
    assert set(changes) == {"severity", "environment", "tags"}  # the unchanged title writes nothing
    assert changes["severity"]["before"].startswith("SEV3") and changes["severity"]["after"].startswith("SEV1")
    assert (changes["environment"]["before"], changes["environment"]["after"]) == ("—", "Production")
    assert changes["tags"]["after"] == "db, prod"
    assert all(e["actor"]["id"] == agent.pk for e in timeline if e["kind"] == "field_changed")


def test_patch_with_bad_values_is_a_400_and_changes_nothing(agent, queue):
    ticket = TicketFactory(queue=queue)
    client = api_client(agent)
    response = client.patch(f"/api/tickets/{ticket.reference}/", {"severity": "SEV9", "title": "abc"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"severity", "title"}
    assert ticket.events.count() == 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/api/tickets/{ref}/", {}),
        ("post", "/api/tickets/{ref}/escalate/", {"reason": "The DBAs own this."}),
    ],
    ids=["patch", "escalate"],
)
def test_agent_moving_a_ticket_to_another_teams_queue_gets_the_ticket_back(agent, queue, method, path, body):
    ticket = TicketFactory(queue=queue)
    elsewhere = QueueFactory()
    client = api_client(agent)
    response = getattr(client, method)(
        path.format(ref=ticket.reference), body | {"queue": elsewhere.slug}, format="json"
    )
    assert Ticket.objects.get(pk=ticket.pk).queue == elsewhere  # committed either way
    assert response.status_code == 200


# The schema ---------------------------------------------------------------------------------------


def test_openapi_schema_generates_without_warnings_and_validates(tmp_path):
    reset_generator_stats()  # warnings are remembered per process; count only this generation's
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")


def test_schema_endpoint_describes_every_ticket_operation(agent):
    response = api_client(agent).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/tickets/", "/api/tickets/{reference}/", "/api/severities/", "/api/queues/"} <= set(paths)
    assert {"get", "post"} <= set(paths["/api/tickets/{reference}/comments/"])
    assert any("{transition}" in path for path in paths)


def test_patch_refuses_fields_it_cannot_set_and_says_where_to_go(agent, queue):
    ticket = TicketFactory(queue=queue)
    response = api_client(agent).patch(
        f"/api/tickets/{ticket.reference}/", {"status": "closed", "colour": "red"}, format="json"
    )
    assert response.status_code == 400
    assert "transition" in response.json()["status"][0]
    assert "colour" in response.json()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_assigning_someone_outside_the_queue_is_bad_input(agent, queue):
    outsider = TicketFactory().requester  # a requester, in no queue
    ticket = TicketFactory(queue=queue)
    response = api_client(agent).post(f"/api/tickets/{ticket.reference}/assign/", {"assignee": outsider.pk})
    assert response.status_code == 400
    assert "does not work" in response.json()["detail"]
