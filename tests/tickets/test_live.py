"""Live updates: an open list or ticket page asks every few seconds whether it changed (static/js/live.js).

Unchanged costs one query and answers 204; changed answers the page's live parts; a ticket out of sight is a 404."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tickets import services
from tickets.models import Ticket

from ..factories import QueueFactory, TicketFactory
from .helpers import comment, html_refs

pytestmark = pytest.mark.django_db

_STAMP = re.compile(r'data-live-stamp="([^"]*)"')


def stamp_of(response) -> str:
    return _STAMP.findall(response.content.decode())[-1]


def poll(client, url: str, stamp: str):
    return client.get(url, headers={"X-Live-Since": stamp})


def settled() -> None:
    """The tickets so far last changed five minutes ago."""
    Ticket.objects.update(updated_at=timezone.now() - timedelta(minutes=5))


@pytest.mark.parametrize("rows", [3, 30])
def test_an_unchanged_list_answers_204_in_one_query(client, agent, queue, rows, django_assert_max_num_queries):
    # given: an agent with the list open, drawn a while after its tickets last changed
    for _ in range(rows):
        TicketFactory(queue=queue)
    settled()
    client.force_login(agent)
    stamp = stamp_of(client.get("/tickets/?status=open"))
    # when: the page polls
    with django_assert_max_num_queries(1):
        response = poll(client, "/tickets/?status=open", stamp)
    # then: nothing to draw, nothing cached
    assert response.status_code == 204
    assert response.content == b""
    assert "no-store" in response["Cache-Control"]


def test_a_changed_list_answers_its_rows_with_the_filters(client, agent, queue):
    old = TicketFactory(queue=queue, title="Old news")
    settled()
    client.force_login(agent)
    stamp = stamp_of(client.get("/tickets/?q=disk"))
    # when: a ticket is filed into the list, and another changes elsewhere in sight
    fresh = TicketFactory(queue=queue, title="The disk is full")
    response = poll(client, "/tickets/?q=disk", stamp)
    # then: the results region comes back, with the list's own filters, and a newer stamp
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results" data-live-region>')
    assert html_refs(response) == [fresh.reference]
    assert old.reference not in body
    assert stamp_of(response) != stamp
    assert "<html" not in body


def test_a_list_ignores_changes_it_may_not_see(client, agent, queue):
    client.force_login(agent)
    TicketFactory(queue=queue)
    settled()
    stamp = stamp_of(client.get("/tickets/"))
    TicketFactory(queue=QueueFactory())  # another team's ticket
    assert poll(client, "/tickets/", stamp).status_code == 204


def test_a_forged_list_stamp_draws_the_list_afresh(client, agent, queue):
    TicketFactory(queue=queue)
    client.force_login(agent)
    response = poll(client, "/tickets/", "not-a-stamp")
    assert response.status_code == 200
    assert len(html_refs(response)) == 1


def test_an_unchanged_ticket_answers_204_in_one_query(client, agent, queue, django_assert_max_num_queries):
    ticket = TicketFactory(queue=queue)
    for n in range(5):
        comment(ticket, agent, f"Looking {n}")
    client.force_login(agent)
    url = ticket.get_absolute_url()
    stamp = stamp_of(client.get(url))
    with django_assert_max_num_queries(1):
        response = poll(client, url, stamp)
    assert response.status_code == 204


def test_a_commented_ticket_answers_its_live_parts(client, agent, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester)
    client.force_login(requester)
    url = ticket.get_absolute_url()
    stamp = stamp_of(client.get(url))
    # when: the agent acknowledges and replies while the requester has the page open
    services.ticket_transition(ticket=ticket, actor=agent, action="acknowledge")
    comment(ticket, agent, "On it, checking the load balancer.")
    response = poll(client, url, stamp)
    # then: the head, the timeline and the details come back; no page around them
    assert response.status_code == 200
    body = response.content.decode()
    for region in ("ticket-head", "ticket-story", "ticket-details"):
        assert f'id="{region}" data-live-region' in body
    assert "On it, checking the load balancer." in body
    assert "Acknowledged" in body
    assert "<html" not in body
    assert stamp_of(response) != stamp
    # and the new stamp holds until the next change
    assert poll(client, url, stamp_of(response)).status_code == 204


def test_a_ticket_out_of_sight_is_a_404_to_its_poll(client, agent, requester, queue):
    ticket = TicketFactory(queue=QueueFactory(), requester=requester)
    client.force_login(agent)
    assert poll(client, ticket.get_absolute_url(), "0-1").status_code == 404
    assert poll(client, "/tickets/SD-999999/", "0-1").status_code == 404


def test_an_internal_note_reaches_agents_not_the_requester(client, agent, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester)
    client.force_login(requester)
    url = ticket.get_absolute_url()
    stamp = stamp_of(client.get(url))
    comment(ticket, agent, "Their config is wrong, again.", internal=True)
    response = poll(client, url, stamp)
    assert "Their config is wrong" not in response.content.decode()
