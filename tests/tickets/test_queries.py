"""Query counts do not grow with rows: the same page costs the same at 5 rows and at 50.

Each page is opened once before it is counted, as a person browsing would: their permissions,
queues, severities and queues live in the cache from then on. The limits are the counts observed.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role

from ..factories import QueueFactory, TicketFactory, UserFactory, severity
from .helpers import api_client, api_refs, comment, html_refs, upload

pytestmark = pytest.mark.django_db

ROWS = pytest.mark.parametrize("rows", [5, 50])


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the files go away with the test


@pytest.fixture
def busy_queue(agent):
    """A queue whose new tickets go to the agent, so every row has an assignee to show."""
    return QueueFactory(members=[agent], default_assignee=agent)


def tickets_in(queue, rows: int, **kwargs) -> list:
    severities = [severity(name) for name in ("SEV1", "SEV2", "SEV3", "SEV4")]
    # some made long ago, so the rows carry every badge: breaching, environment, account
    long_ago = timezone.now() - timedelta(days=40)
    return [
        TicketFactory(
            queue=queue,
            severity=severities[n % 4],
            environment="production",
            aws_account_id="123456789012",
            tags=["vpn"],
            now=long_ago if n % 3 == 0 else None,
            **kwargs,
        )
        for n in range(rows)
    ]


@ROWS
def test_html_ticket_list_for_an_agent(client, agent, busy_queue, rows, django_assert_max_num_queries):
    # given: the agent's queue, and a ticket elsewhere
    tickets_in(busy_queue, rows)
    hidden = TicketFactory()
    client.force_login(agent)
    client.get("/tickets/")
    # when: the person and their access come from the cache; one query for the page of tickets, one for the
    # person's saved views (the tabs above the list; the htmx partial a filter change fetches skips it)
    with django_assert_max_num_queries(2):
        response = client.get("/tickets/")
    # then
    refs = html_refs(response)
    assert len(refs) == min(rows, 25)
    assert hidden.reference not in refs


@ROWS
def test_api_ticket_list_for_an_agent(agent, busy_queue, rows, django_assert_max_num_queries):
    tickets_in(busy_queue, rows)
    hidden = TicketFactory()
    client = api_client(agent)
    client.get("/api/tickets/", {"page_size": 50})
    with django_assert_max_num_queries(1):
        response = client.get("/api/tickets/", {"page_size": 50})
    refs = api_refs(response)
    assert len(refs) == rows
    assert hidden.reference not in refs
    assert all(row["assignee"]["name"] == agent.display_name for row in response.json()["results"])


@pytest.fixture
def conversation(agent, requester, queue):
    """Build a ticket with `rows` comments: replies both ways, internal notes, files on some."""

    def build(rows: int):
        ticket = TicketFactory(queue=queue, requester=requester, attachments=[upload("first.log")])
        for n in range(rows):
            author, internal = [(requester, False), (agent, False), (agent, True)][n % 3]
            files = [upload(f"step-{n}.log")] if n % 2 else []
            comment(ticket, author, f"Message number {n}", internal=internal, files=files)
        return ticket

    return build


@ROWS
@pytest.mark.parametrize("role", ["agent", "requester"])
def test_ticket_page(client, request, conversation, role, rows, django_assert_max_num_queries):
    ticket = conversation(rows)
    client.force_login(request.getfixturevalue(role))
    client.get(conversation(0).get_absolute_url())  # another ticket: the person's access is cached, not this story
    with django_assert_max_num_queries(5):  # ticket, watchers, tags, timeline, files
        first = client.get(ticket.get_absolute_url())
    with django_assert_max_num_queries(3):  # ticket, watchers, tags; the story is cached
        again = client.get(ticket.get_absolute_url())
    for response in (first, again):
        page = response.content.decode()
        assert f"Message number {rows - 2}" in page  # the last public reply
        assert "step-1.log" in page


@ROWS
def test_comments_api(agent, conversation, rows, django_assert_max_num_queries):
    ticket = conversation(rows)
    client = api_client(agent)
    url = f"/api/tickets/{ticket.reference}/comments/?page_size=50"
    client.get(url)
    with django_assert_max_num_queries(4):
        response = client.get(url)
    assert len(response.json()["results"]) == rows


@ROWS
def test_timeline_api(agent, conversation, rows, django_assert_max_num_queries):
    ticket = conversation(rows)
    client = api_client(agent)
    url = f"/api/tickets/{ticket.reference}/timeline/?page_size=50"
    client.get(url)
    with django_assert_max_num_queries(4):
        response = client.get(url)
    assert len(response.json()["results"]) == min(rows + 1, 50)


HOME = [("requester", 2), ("agent", 3), ("manager", 3), ("admin", 3)]


@ROWS
@pytest.mark.parametrize(("role", "queries"), HOME)
def test_home_page(client, agent, busy_queue, role, queries, rows, django_assert_max_num_queries):
    # given: tickets in every home section: filed by the requester, assigned, unassigned, breaching
    person = agent if role == "agent" else UserFactory(role=Role(role))
    requester = person if role == "requester" else UserFactory()
    tickets_in(busy_queue, rows, requester=requester)
    tickets_in(QueueFactory(members=[agent]), rows, requester=requester)
    client.force_login(person)
    client.get("/")
    # when
    with django_assert_max_num_queries(queries):
        response = client.get("/")
    # then: the first section is full
    assert response.status_code == 200
    assert len(html_refs(response)) >= min(rows, 8)


def test_ticket_page_without_files_or_tags_skips_their_queries(client, agent, queue, django_assert_max_num_queries):
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    client.get(TicketFactory(queue=queue).get_absolute_url())
    with django_assert_max_num_queries(3):  # the ticket, its watchers, its timeline
        first = client.get(ticket.get_absolute_url())
    with django_assert_max_num_queries(2):  # the ticket, its watchers
        again = client.get(ticket.get_absolute_url())
    assert first.status_code == again.status_code == 200
