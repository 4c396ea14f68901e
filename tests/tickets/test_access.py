"""Who may do what: every page and API endpoint, for every role, against one ticket.

A cell says what that person gets:
  LOGIN    anonymous: HTML sends them to sign in, the API answers 401 or 403
  HIDDEN   404, never 403: a ticket you may not see does not exist for you
  REFUSED  you see the ticket but may not do this: HTML redirects back to the ticket with an error,
           the API answers 403 with the reason; nothing changes
  OK       it works, and the change is made
  NA       not a yes-or-no question; a test of its own says what happens
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import Http404
from rest_framework.authtoken.models import Token

from accounts.roles import Role
from tickets import selectors, services
from tickets.models import Attachment, Comment, Ticket

from ..factories import QueueFactory, TicketFactory, UserFactory, severity
from .helpers import LOGIN_PATH, api_client, comment, flashes, html_refs, upload

pytestmark = pytest.mark.django_db

LOGIN, HIDDEN, REFUSED, OK = "login", "hidden", "refused", "ok"
NA = None  # not a yes-or-no question: a test of its own covers it
ROLES = ("anonymous", "requester", "other_requester", "queue_agent", "other_agent", "manager", "admin")
S = Ticket.Status
FILE_CONTENT = b"kernel: eth0 link down\n"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the files go away with the test


@dataclass
class Cast:
    """One ticket in a queue, and one person of each kind around it."""

    ticket: Ticket
    attachment: Attachment
    people: dict[str, Any]

    def __getitem__(self, role: str):
        return self.people[role]

    def fill(self, path: str) -> str:
        return path.format(ref=self.ticket.reference, file=self.attachment.pk)


@pytest.fixture
def cast(db) -> Cast:
    queue_agent, other_agent = UserFactory(role=Role.AGENT), UserFactory(role=Role.AGENT)
    QueueFactory(members=[other_agent])
    requester = UserFactory(role=Role.REQUESTER)
    ticket = TicketFactory(
        requester=requester,
        queue=QueueFactory(members=[queue_agent]),
        attachments=[upload("eth0.log", FILE_CONTENT)],
    )
    people = {
        "anonymous": None,
        "requester": requester,
        "other_requester": UserFactory(role=Role.REQUESTER),
        "queue_agent": queue_agent,
        "other_agent": other_agent,
        "manager": UserFactory(role=Role.MANAGER),
        "admin": UserFactory(role=Role.ADMIN),
    }
    return Cast(ticket=ticket, attachment=ticket.attachments.get(), people=people)


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # {ref} and {file} are filled in from the cast
    check: Callable  # (cast, user, response) -> None: what an allowed call must have done
    data: Callable = lambda cast, user: {}
    prepare: Callable = lambda cast: None  # puts the ticket where the call makes sense


def fresh(cast: Cast) -> Ticket:
    return Ticket.objects.get(pk=cast.ticket.pk)


def world(cast: Cast) -> tuple:
    """Everything a refused or hidden call must leave as it was."""
    t = fresh(cast)
    return (
        t.status,
        t.assignee_id,
        t.severity_id,
        t.queue_id,
        t.escalation_level,
        t.title,
        t.updated_at,
        list(t.events.values_list("id", flat=True)),
        sorted(t.watchers.values_list("pk", flat=True)),
        Ticket.objects.count(),
        Comment.objects.count(),
        Token.objects.count(),
    )


def cells(matrix: dict[str, tuple]) -> list:
    params = []
    for endpoint, outcomes in matrix.items():
        for role, outcome in zip(ROLES, outcomes, strict=True):
            if outcome is NA:
                continue
            params.append(pytest.param(endpoint, role, outcome, id=f"{endpoint}-{role}"))
    return params


# HTML ---------------------------------------------------------------------------------------------


def shows(text: Callable[[Cast], str]) -> Callable:
    def check(cast, user, response):
        assert response.status_code == 200
        assert text(cast) in response.content.decode()

    return check


def done(change: Callable) -> Callable:
    """Back to the ticket page with a success message, and the change made."""

    def check(cast, user, response):
        assert (response.status_code, response.url) == (302, cast.ticket.get_absolute_url())
        assert [level for level, _ in flashes(response)] == ["success"]
        assert change(cast, user, fresh(cast))

    return check


def created(cast, user, response):
    ticket = Ticket.objects.get(title="Printer on fire")
    assert (response.status_code, response.url) == (302, ticket.get_absolute_url())
    assert ticket.requester == user


def downloaded(cast, user, response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == FILE_CONTENT


def watch_flipped(cast, user, ticket):
    # the requester watches from the start, so they stop; everyone else starts
    was_watching = user == cast["requester"]
    event = ticket.events.latest("id")
    assert (event.actor, event.kind) == (user, "watcher_removed" if was_watching else "watcher_added")
    return ticket.watchers.filter(pk=user.pk).exists() != was_watching


def edit_form(cast: Cast, **changes) -> dict:
    """The edit form as the page fills it in (a requester's form has only the title and description)."""
    t = cast.ticket
    return {
        "title": t.title,
        "description": t.description,
        "severity": t.severity_id,
        "queue": t.queue_id,
        "kind": t.kind,
        "environment": t.environment,
        "aws_account_id": t.aws_account_id,
    } | changes


def token_made(cast, user, response):
    assert (response.status_code, response.url) == (302, "/profile/")
    assert Token.objects.filter(user=user).exists()


HTML_CALLS = {
    "home": Call("get", "/", shows(lambda c: "Good to see you")),
    "list": Call("get", "/tickets/", shows(lambda c: 'id="results"')),
    "create-get": Call("get", "/tickets/new/", shows(lambda c: 'name="title"')),
    "create-post": Call(
        "post",
        "/tickets/new/",
        created,
        data=lambda c, u: {"title": "Printer on fire", "severity": severity("SEV4").pk, "kind": "incident"},
    ),
    "detail": Call("get", "/tickets/{ref}/", shows(lambda c: c.ticket.title)),
    "comment": Call(
        "post",
        "/tickets/{ref}/comment/",
        done(lambda c, u, t: t.comments.filter(author=u, body="Any news?", is_internal=False).exists()),
        data=lambda c, u: {"body": "Any news?"},
    ),
    "acknowledge": Call(
        "post",
        "/tickets/{ref}/transition/",
        done(lambda c, u, t: t.status == S.ACKNOWLEDGED),
        data=lambda c, u: {"action": "acknowledge"},
    ),
    "close": Call(
        "post",
        "/tickets/{ref}/transition/",
        done(lambda c, u, t: t.status == S.CLOSED),
        data=lambda c, u: {"action": "close"},
    ),
    "edit-get": Call("get", "/tickets/{ref}/edit/", shows(lambda c: 'name="title"')),
    "edit-text": Call(
        "post",
        "/tickets/{ref}/edit/",
        done(lambda c, u, t: t.title == "Wi-Fi drops every hour"),
        data=lambda c, u: edit_form(c, title="Wi-Fi drops every hour"),
    ),
    "edit-details": Call(
        "post",
        "/tickets/{ref}/edit/",
        done(lambda c, u, t: t.severity.name == "SEV1"),
        data=lambda c, u: edit_form(c, severity=severity("SEV1").pk),
    ),
    "assign-get": Call("get", "/tickets/{ref}/assign/", shows(lambda c: c["queue_agent"].display_name)),
    "assign-post": Call(
        "post",
        "/tickets/{ref}/assign/",
        done(lambda c, u, t: t.assignee == c["queue_agent"]),
        data=lambda c, u: {"assignee": c["queue_agent"].pk},
    ),
    "take": Call("post", "/tickets/{ref}/take/", done(lambda c, u, t: t.assignee == u)),
    "escalate-get": Call("get", "/tickets/{ref}/escalate/", shows(lambda c: 'name="reason"')),
    "escalate-post": Call(
        "post",
        "/tickets/{ref}/escalate/",
        done(lambda c, u, t: t.escalation_level == 1),
        data=lambda c, u: {"reason": "The customer is losing orders."},
    ),
    "watch": Call(
        "post",
        "/tickets/{ref}/watch/",
        done(watch_flipped),
        data=lambda c, u: {"watching": "off" if u == c["requester"] else "on"},
    ),
    "download": Call("get", "/tickets/{ref}/files/{file}/", downloaded),
    "profile-get": Call("get", "/profile/", shows(lambda c: "API token")),
    "profile-post": Call("post", "/profile/", token_made),
}

HTML_MATRIX = {
    #                anonymous requester other_req queue_agent other_agent manager admin
    "home": (LOGIN, OK, OK, OK, OK, OK, OK),
    "list": (LOGIN, OK, OK, OK, OK, OK, OK),
    "create-get": (LOGIN, OK, OK, OK, OK, OK, OK),
    "create-post": (LOGIN, OK, OK, OK, OK, OK, OK),
    "detail": (LOGIN, OK, HIDDEN, OK, HIDDEN, OK, OK),
    "comment": (LOGIN, OK, HIDDEN, OK, HIDDEN, OK, OK),
    "acknowledge": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "close": (LOGIN, OK, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "edit-get": (LOGIN, OK, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "edit-text": (LOGIN, OK, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "edit-details": (LOGIN, NA, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "assign-get": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "assign-post": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "take": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "escalate-get": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "escalate-post": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "watch": (LOGIN, OK, HIDDEN, OK, HIDDEN, OK, OK),
    "download": (LOGIN, OK, HIDDEN, OK, HIDDEN, OK, OK),
    "profile-get": (LOGIN, OK, OK, OK, OK, OK, OK),
    "profile-post": (LOGIN, OK, OK, OK, OK, OK, OK),
}


@pytest.mark.parametrize(("endpoint", "role", "outcome"), cells(HTML_MATRIX))
def test_html_access(client, cast, endpoint, role, outcome):
    # given
    call, user = HTML_CALLS[endpoint], cast[role]
    call.prepare(cast)
    if user is not None:
        client.force_login(user)
    before = world(cast)
    path = cast.fill(call.path)
    # when
    response = getattr(client, call.method)(path, call.data(cast, user))
    # then
    if outcome == OK:
        call.check(cast, user, response)
        return
    assert world(cast) == before
    if outcome == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(f"{LOGIN_PATH}?next=")
    elif outcome == HIDDEN:
        assert response.status_code == 404
    else:
        assert (response.status_code, response.url) == (302, cast.ticket.get_absolute_url())
        [(level, text)] = flashes(response)
        assert level == "error" and text


# API ----------------------------------------------------------------------------------------------


def answers(code: int, change: Callable = lambda c, u, r, t: True) -> Callable:
    def check(cast, user, response):
        assert response.status_code == code, response.content
        assert change(cast, user, response.json(), fresh(cast))

    return check


def served(content_type: str) -> Callable:
    def check(cast, user, response):
        assert response.status_code == 200
        assert response["Content-Type"].startswith(content_type)

    return check


def transition(action: str, target: str, note: str = "", prepare: Callable = lambda cast: None) -> Call:
    return Call(
        "post",
        f"/api/tickets/{{ref}}/{action}/",
        answers(200, lambda c, u, body, t: body["status"] == t.status == target),
        data=lambda c, u: {"note": note},
        prepare=prepare,
    )


def resolved(cast: Cast) -> None:
    services.ticket_transition(ticket=cast.ticket, actor=None, action="resolve", note="Rebooted the switch.")


def with_a_reply(cast: Cast) -> None:
    comment(cast.ticket, cast["requester"], "It still drops every hour.")


API_CALLS = {
    "list": Call("get", "/api/tickets/", answers(200, lambda c, u, body, t: "results" in body)),
    "create": Call(
        "post",
        "/api/tickets/",
        answers(201, lambda c, u, body, t: Ticket.objects.get(title=body["title"]).requester == u),
        data=lambda c, u: {"title": "Printer on fire", "severity": "SEV4"},
    ),
    "retrieve": Call("get", "/api/tickets/{ref}/", answers(200, lambda c, u, body, t: body["title"] == t.title)),
    "patch-severity": Call(
        "patch",
        "/api/tickets/{ref}/",
        answers(200, lambda c, u, body, t: body["severity"] == t.severity.name == "SEV1"),
        data=lambda c, u: {"severity": "SEV1"},
    ),
    "patch-title": Call(
        "patch",
        "/api/tickets/{ref}/",
        answers(200, lambda c, u, body, t: body["title"] == t.title == "Wi-Fi drops every hour"),
        data=lambda c, u: {"title": "Wi-Fi drops every hour"},
    ),
    "acknowledge": transition("acknowledge", S.ACKNOWLEDGED),
    "start": transition("start", S.IN_PROGRESS),
    "wait_on_requester": transition("wait_on_requester", S.WAITING_REQUESTER),
    "wait_on_aws": transition("wait_on_aws", S.WAITING_AWS),
    "resolve": transition("resolve", S.RESOLVED, note="Replaced the cable."),
    "close": transition("close", S.CLOSED),
    "reopen": transition("reopen", S.IN_PROGRESS, note="It is back.", prepare=resolved),
    "assign": Call(
        "post",
        "/api/tickets/{ref}/assign/",
        answers(200, lambda c, u, body, t: body["assignee"]["id"] == t.assignee_id == c["queue_agent"].pk),
        data=lambda c, u: {"assignee": c["queue_agent"].pk},
    ),
    "escalate": Call(
        "post",
        "/api/tickets/{ref}/escalate/",
        answers(200, lambda c, u, body, t: body["escalation_level"] == t.escalation_level == 1),
        data=lambda c, u: {"reason": "The customer is losing orders."},
    ),
    "comments-get": Call(
        "get",
        "/api/tickets/{ref}/comments/",
        answers(200, lambda c, u, body, t: [r["body"] for r in body["results"]] == ["It still drops every hour."]),
        prepare=with_a_reply,
    ),
    "comments-post": Call(
        "post",
        "/api/tickets/{ref}/comments/",
        answers(201, lambda c, u, body, t: t.comments.get(pk=body["id"]).author == u),
        data=lambda c, u: {"body": "Any news?"},
    ),
    "note-post": Call(
        "post",
        "/api/tickets/{ref}/comments/",
        answers(201, lambda c, u, body, t: t.comments.get(pk=body["id"]).is_internal),
        data=lambda c, u: {"body": "Their switch is end of life.", "is_internal": True},
    ),
    "timeline": Call(
        "get",
        "/api/tickets/{ref}/timeline/",
        answers(200, lambda c, u, body, t: [e["kind"] for e in body["results"]] == ["created"]),
    ),
    "severities": Call(
        "get",
        "/api/severities/",
        answers(200, lambda c, u, body, t: [s["name"] for s in body] == ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5"]),
    ),
    "queues": Call(
        "get", "/api/queues/", answers(200, lambda c, u, body, t: t.queue.slug in {q["slug"] for q in body})
    ),
    "schema": Call("get", "/api/schema/", served("application/vnd.oai.openapi")),
    "docs": Call("get", "/api/docs/", served("text/html")),
}

API_MATRIX = {
    #                    anonymous requester other_req queue_agent other_agent manager admin
    "list": (LOGIN, OK, OK, OK, OK, OK, OK),
    "create": (LOGIN, OK, OK, OK, OK, OK, OK),
    "retrieve": (LOGIN, OK, HIDDEN, OK, HIDDEN, OK, OK),
    "patch-severity": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "patch-title": (LOGIN, OK, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "acknowledge": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "start": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "wait_on_requester": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "wait_on_aws": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "resolve": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "close": (LOGIN, OK, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "reopen": (LOGIN, OK, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "assign": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "escalate": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, REFUSED, OK),
    "comments-get": (LOGIN, OK, HIDDEN, OK, HIDDEN, OK, OK),
    "comments-post": (LOGIN, OK, HIDDEN, OK, HIDDEN, OK, OK),
    "note-post": (LOGIN, REFUSED, HIDDEN, OK, HIDDEN, OK, OK),
    "timeline": (LOGIN, OK, HIDDEN, OK, HIDDEN, OK, OK),
    "severities": (LOGIN, OK, OK, OK, OK, OK, OK),
    "queues": (LOGIN, OK, OK, OK, OK, OK, OK),
    "schema": (LOGIN, OK, OK, OK, OK, OK, OK),
    "docs": (LOGIN, OK, OK, OK, OK, OK, OK),
}


@pytest.mark.parametrize(("endpoint", "role", "outcome"), cells(API_MATRIX))
def test_api_access(cast, endpoint, role, outcome):
    # given
    call, user = API_CALLS[endpoint], cast[role]
    call.prepare(cast)
    client = api_client(user)
    before = world(cast)
    # when
    response = getattr(client, call.method)(cast.fill(call.path), call.data(cast, user), format="json")
    # then
    if outcome == OK:
        call.check(cast, user, response)
        return
    assert world(cast) == before
    if outcome == LOGIN:
        assert response.status_code in (401, 403)
    elif outcome == HIDDEN:
        assert response.status_code == 404
    else:
        assert response.status_code == 403
        assert response.json()["detail"]


# What each role's lists contain -------------------------------------------------------------------


@pytest.fixture
def landscape(db) -> dict:
    """An agent of one queue, a requester, and tickets that each reach them one way, or not at all."""
    agent, requester, stranger = UserFactory(role=Role.AGENT), UserFactory(role=Role.REQUESTER), UserFactory()
    agents_queue, elsewhere = QueueFactory(members=[agent]), QueueFactory()
    tickets = {
        "filed by the requester": TicketFactory(requester=requester, queue=elsewhere),
        "watched by the requester": TicketFactory(requester=stranger, queue=elsewhere),
        "in the agent's queue": TicketFactory(requester=stranger, queue=agents_queue),
        "filed by the agent": TicketFactory(requester=agent, queue=elsewhere),
        "watched by the agent": TicketFactory(requester=stranger, queue=elsewhere),
        # the agent is not in this queue; it is theirs only because the queue hands its tickets to them
        "assigned to the agent": TicketFactory(requester=stranger, queue=QueueFactory(default_assignee=agent)),
        "nobody's business": TicketFactory(requester=stranger, queue=elsewhere),
    }
    for name, watcher in [("watched by the requester", requester), ("watched by the agent", agent)]:
        services.watcher_set(ticket=tickets[name], actor=watcher, user=watcher, watching=True)
    # a default assignee follows new tickets; this one stops, so only the assignment lets them see it
    services.watcher_set(ticket=tickets["assigned to the agent"], actor=agent, user=agent, watching=False)
    people = {
        "requester": requester,
        "agent": agent,
        "manager": UserFactory(role=Role.MANAGER),
        "admin": UserFactory(role=Role.ADMIN),
    }
    return {"people": people, "tickets": tickets}


SEES = {
    "requester": {"filed by the requester", "watched by the requester"},
    "agent": {"in the agent's queue", "filed by the agent", "watched by the agent", "assigned to the agent"},
    "manager": "all",
    "admin": "all",
}


def expected_refs(landscape: dict, role: str) -> set[str]:
    names = landscape["tickets"].keys() if SEES[role] == "all" else SEES[role]
    return {landscape["tickets"][name].reference for name in names}


@pytest.mark.parametrize("role", SEES)
def test_html_list_shows_exactly_the_tickets_the_role_may_see(client, landscape, role):
    client.force_login(landscape["people"][role])
    response = client.get("/tickets/")
    assert response.status_code == 200
    refs = html_refs(response)
    assert len(refs) == len(set(refs))
    assert set(refs) == expected_refs(landscape, role)


@pytest.mark.parametrize("role", SEES)
def test_api_list_returns_exactly_the_tickets_the_role_may_see(landscape, role):
    response = api_client(landscape["people"][role]).get("/api/tickets/")
    assert response.status_code == 200
    refs = [row["reference"] for row in response.json()["results"]]
    assert len(refs) == len(set(refs))
    assert set(refs) == expected_refs(landscape, role)


# Internal notes -----------------------------------------------------------------------------------


@pytest.fixture
def noted(cast) -> dict:
    """A public reply, then an internal note with a file, on the cast's ticket."""
    reply = comment(cast.ticket, cast["queue_agent"], "Could you send the router model?")
    note = comment(
        cast.ticket,
        cast["queue_agent"],
        "Their contract lapsed last month.",
        internal=True,
        files=[upload("contract.pdf", b"%PDF-1.4 secret", "application/pdf")],
    )
    # a requester who watches the ticket reads it as the requester does
    watcher = UserFactory(role=Role.REQUESTER)
    services.watcher_set(ticket=cast.ticket, actor=watcher, user=watcher, watching=True)
    return {"reply": reply, "note": note, "file": note.attachments.get(), "watcher": watcher}


READERS = [("requester", False), ("watcher", False), ("queue_agent", True), ("manager", True), ("admin", True)]


def reader(cast: Cast, noted: dict, role: str):
    return noted["watcher"] if role == "watcher" else cast[role]


@pytest.mark.parametrize(("role", "reads_notes"), READERS)
def test_ticket_page_shows_internal_notes_and_their_files_only_to_staff(client, cast, noted, role, reads_notes):
    client.force_login(reader(cast, noted, role))
    page = client.get(cast.ticket.get_absolute_url()).content.decode()
    assert noted["reply"].body in page
    assert (noted["note"].body in page) is reads_notes
    assert ("contract.pdf" in page) is reads_notes
    assert (f"/files/{noted['file'].pk}/" in page) is reads_notes


@pytest.mark.parametrize(("role", "reads_notes"), READERS)
def test_comments_api_lists_internal_notes_only_to_staff(cast, noted, role, reads_notes):
    response = api_client(reader(cast, noted, role)).get(f"/api/tickets/{cast.ticket.reference}/comments/")
    bodies = [row["body"] for row in response.json()["results"]]
    expected = [noted["reply"].body, noted["note"].body] if reads_notes else [noted["reply"].body]
    assert bodies == expected


@pytest.mark.parametrize(("role", "reads_notes"), READERS)
def test_timeline_api_shows_internal_notes_only_to_staff(cast, noted, role, reads_notes):
    response = api_client(reader(cast, noted, role)).get(f"/api/tickets/{cast.ticket.reference}/timeline/")
    events = response.json()["results"]
    bodies = [e["comment"]["body"] for e in events if e["comment"]]
    assert (noted["note"].body in bodies) is reads_notes
    assert noted["reply"].body in bodies
    assert any(e["is_internal"] for e in events) is reads_notes


@pytest.mark.parametrize(("role", "reads_notes"), READERS)
def test_internal_note_file_downloads_only_for_staff(client, cast, noted, role, reads_notes):
    client.force_login(reader(cast, noted, role))
    response = client.get(f"/tickets/{cast.ticket.reference}/files/{noted['file'].pk}/")
    assert response.status_code == (200 if reads_notes else 404)
    public = client.get(f"/tickets/{cast.ticket.reference}/files/{cast.attachment.pk}/")
    assert public.status_code == 200


def test_file_of_another_ticket_is_not_served_through_a_visible_one(client, cast):
    # the requester sees their ticket; a file id from a ticket they cannot see must not leak through its URL
    secret = TicketFactory(attachments=[upload("other.log", b"not yours")])
    client.force_login(cast["requester"])
    response = client.get(f"/tickets/{cast.ticket.reference}/files/{secret.attachments.get().pk}/")
    assert response.status_code == 404


def test_requester_internal_note_is_refused_on_the_page_and_nothing_is_added(client, cast):
    client.force_login(cast["requester"])
    response = client.post(f"/tickets/{cast.ticket.reference}/comment/", {"body": "psst", "is_internal": "on"})
    assert response.status_code == 400
    assert "Only agents may add internal notes." in response.content.decode()
    assert not Comment.objects.exists()


def test_requester_edit_changes_the_text_and_nothing_else_however_the_form_is_forged(client, cast):
    client.force_login(cast["requester"])
    page = client.get(f"/tickets/{cast.ticket.reference}/edit/").content.decode()
    assert 'name="title"' in page and 'name="severity"' not in page
    data = edit_form(cast, title="Wi-Fi drops every hour", severity=severity("SEV1").pk)
    response = client.post(f"/tickets/{cast.ticket.reference}/edit/", data)
    assert response.status_code == 302
    ticket = fresh(cast)
    assert (ticket.title, ticket.severity.name) == ("Wi-Fi drops every hour", "SEV3")
    assert list(ticket.events.filter(kind="field_changed").values_list("data__field", flat=True)) == ["title"]


def test_requester_may_not_edit_a_closed_ticket(client, cast):
    services.ticket_transition(ticket=cast.ticket, actor=cast["requester"], action="close")
    client.force_login(cast["requester"])
    before = world(cast)
    response = client.post(f"/tickets/{cast.ticket.reference}/edit/", edit_form(cast, title="Changed my mind"))
    assert (response.status_code, response.url) == (302, cast.ticket.get_absolute_url())
    assert [level for level, _ in flashes(response)] == ["error"]
    assert world(cast) == before


def test_a_list_and_a_single_ticket_read_the_one_access_rule(agent, queue, other_queue):
    """policies.Sight is the access rule, written once as SQL: a list and one ticket's page both read through it."""
    requester, manager, stranger = UserFactory(role=Role.REQUESTER), UserFactory(role=Role.MANAGER), UserFactory()
    outsider = UserFactory(role=Role.AGENT)  # works none of these queues
    in_queue = TicketFactory(queue=queue)
    filed = TicketFactory(queue=other_queue, requester=requester)
    watched = TicketFactory(queue=other_queue)
    held = TicketFactory(queue=other_queue)
    Ticket.objects.filter(pk=held.pk).update(assignee=outsider)  # given to them, who have since left its queue
    services.watcher_set(ticket=watched, actor=None, user=stranger, watching=True)
    tickets = [in_queue, filed, watched, held]
    cases = {
        agent: {in_queue},
        requester: {filed},
        stranger: {watched},
        outsider: {held},
        manager: set(tickets),
    }
    for person, expected in cases.items():
        listed = set(
            selectors.tickets_visible_to(person).filter(pk__in=[t.pk for t in tickets]).values_list("pk", flat=True)
        )
        opened = {t.pk for t in tickets if _opens(person, t)}
        assert listed == opened == {t.pk for t in expected}, person


def _opens(person, ticket: Ticket) -> bool:
    try:
        selectors.ticket_detail(user=person, reference=ticket.reference, for_page=True)
    except Http404:
        return False
    return True
