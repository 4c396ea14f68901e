"""Behaviour a code review found missing: each test is a way a user could have been hurt."""

from pathlib import Path

import pytest
from django.db import transaction

from accounts.access_cache import access_cached
from tickets import policies, services
from tickets.exceptions import InvalidAttachment
from tickets.models import QueueMember, Ticket
from tickets.workflow import Action

from ..factories import TicketFactory
from .helpers import api_client, upload

pytestmark = pytest.mark.django_db


def test_unicode_digits_in_the_assignee_filter_are_bad_input_not_a_crash(client, agent):
    assert api_client(agent).get("/api/tickets/", {"assignee": "²"}).status_code == 400
    client.force_login(agent)
    assert "Those filters don" in client.get("/tickets/", {"assignee": "²"}).content.decode()


@pytest.mark.parametrize("tags", [["İ" * 50], ["x" * 51], [f"t{n}" for n in range(21)]])
def test_tags_that_do_not_fit_are_refused_with_a_reason(agent, queue, tags):
    response = api_client(agent).post(
        "/api/tickets/", {"title": "Disk full", "severity": "SEV3", "tags": tags}, format="json"
    )
    assert response.status_code == 400
    assert "tags" in response.json()
    assert not Ticket.objects.exists()


def test_too_long_tag_in_the_edit_form_is_a_form_error(client, agent, queue):
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    data = {
        "title": ticket.title,
        "description": "",
        "severity": ticket.severity_id,
        "queue": queue.pk,
        "kind": "incident",
        "environment": "",
        "aws_account_id": "",
        "tags": "x" * 60,
    }
    response = client.post(f"/tickets/{ticket.reference}/edit/", data)
    assert response.status_code == 400
    assert "50 characters or fewer" in response.content.decode()


def test_an_agents_public_reply_stops_the_response_clock_but_a_note_does_not(agent, queue):
    ticket = TicketFactory(queue=queue)
    services.comment_add(ticket=ticket, author=agent, body="Looking", is_internal=True)
    ticket.refresh_from_db()
    assert ticket.acknowledged_at is None
    services.comment_add(ticket=ticket, author=agent, body="On it, can you send the log?")
    ticket.refresh_from_db()
    assert ticket.acknowledged_at is not None


def test_the_system_never_acknowledges_for_anyone(queue):
    ticket = services.ticket_transition(ticket=TicketFactory(queue=queue), actor=None, action=Action.START)
    assert ticket.acknowledged_at is None


def test_changing_only_tags_counts_as_an_update(agent, queue):
    ticket = TicketFactory(queue=queue)
    before = ticket.updated_at
    ticket = services.ticket_update(ticket=ticket, actor=agent, tags=["vpn"])
    ticket.refresh_from_db()
    assert ticket.updated_at > before


def test_a_refused_file_leaves_no_other_file_on_disk(settings, tmp_path, requester, queue):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(InvalidAttachment):
        TicketFactory(requester=requester, queue=queue, attachments=[upload("ok.log"), upload("bad.exe")])
    assert not [p for p in Path(tmp_path).rglob("*") if p.is_file()]


def test_a_removed_membership_is_not_cached_again_by_a_request_during_the_change(
    agent, queue, django_capture_on_commit_callbacks
):
    assert queue.pk in policies.queue_ids_of(agent)
    before = type(agent).objects.get(pk=agent.pk)  # another request's read of the person, before the commit
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        QueueMember.objects.filter(queue=queue, user=agent).delete()
        # that request still reads the old membership and caches it
        access_cached(before, "queues", lambda: frozenset({queue.pk}))
    fresh = type(agent).objects.get(pk=agent.pk)
    assert queue.pk not in policies.queue_ids_of(fresh)
