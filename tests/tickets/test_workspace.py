"""The engineer's workspace: changes in place, bulk actions, saved views and canned replies, as people use them."""

import html
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from tickets import services
from tickets.models import CannedReply, SavedView, Ticket, TicketEvent
from tickets.workflow import Action

from ..factories import QueueFactory, TicketFactory, UserFactory, severity
from .helpers import flashes, html_refs

pytestmark = pytest.mark.django_db
S = Ticket.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    return html.unescape(response.content.decode())


def resolved(ticket: Ticket) -> Ticket:
    return services.ticket_transition(ticket=ticket, actor=None, action=Action.RESOLVE, note="Fixed.")


# Changes in place -------------------------------------------------------------------------------------------------


def test_the_list_offers_changes_in_place_only_on_tickets_the_person_may_work(client, agent, queue):
    mine = TicketFactory(queue=queue)
    watched = TicketFactory()
    services.watcher_set(ticket=watched, actor=agent, user=agent, watching=True)  # seen, but not theirs to work
    client.force_login(agent)
    page = text(client.get("/tickets/"))
    assert f'hx-get="/tickets/{mine.reference}/inline/severity/?place=row"' in page
    assert f"/tickets/{watched.reference}/inline/" not in page
    assert f'value="{mine.pk}"' in page and "data-bulk-all" in page  # the bulk checkboxes


def test_severity_changed_in_place_rerenders_the_row(client, agent, queue, django_assert_max_num_queries):
    ticket = TicketFactory(queue=queue, severity=severity("SEV3"))
    client.force_login(agent)
    form = client.get(f"/tickets/{ticket.reference}/inline/severity/?place=row", **HTMX)
    assert form.status_code == 200
    assert f'hx-target="#cell-{ticket.reference}-severity"' in text(form)
    with django_assert_max_num_queries(30):
        response = client.post(
            f"/tickets/{ticket.reference}/inline/severity/?place=row", {"severity": severity("SEV1").pk}, **HTMX
        )
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#row-{ticket.reference}"
    assert response["HX-Reswap"] == "outerHTML"
    assert json.loads(response["HX-Trigger"]) == {"tickets-changed": {"references": [ticket.reference]}}
    row = text(response)
    assert row.lstrip().startswith(f'<tr id="row-{ticket.reference}"')
    assert ">SEV1</span>" in row
    ticket.refresh_from_db()
    assert ticket.severity.name == "SEV1"
    assert ticket.events.filter(kind=TicketEvent.Kind.FIELD_CHANGED, data__field="severity").exists()


def test_an_illegal_status_change_in_place_says_why(client, agent, queue):
    ticket = resolved(TicketFactory(queue=queue))
    client.force_login(agent)
    url = f"/tickets/{ticket.reference}/inline/status/?place=row"
    response = client.post(url, {"action": "acknowledge"}, **HTMX)
    assert response.status_code == 400
    assert "“Acknowledge” does not apply to a ticket that is resolved." in text(response)
    assert 'role="alert"' in text(response)
    assert "HX-Retarget" not in response  # the form stays in its cell, with the reason
    ticket.refresh_from_db()
    assert ticket.status == S.RESOLVED


def test_resolving_in_place_needs_a_note(client, agent, queue):
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    response = client.post(f"/tickets/{ticket.reference}/inline/status/", {"action": "resolve"}, **HTMX)
    assert response.status_code == 400
    assert "Say why: “Resolve” needs a note." in text(response)
    ok = client.post(f"/tickets/{ticket.reference}/inline/status/", {"action": "resolve", "note": "Done"}, **HTMX)
    assert ok.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == S.RESOLVED


def test_acknowledging_on_the_page_shows_the_new_assignee_too(client, agent, queue):
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    response = client.post(f"/tickets/{ticket.reference}/inline/status/", {"action": "acknowledge"}, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert "Acknowledged" in body
    # acknowledging takes ownership: the assignee field is swapped out of band
    assert re.search(r'id="field-assignee"\s+hx-swap-oob="innerHTML"', body)
    assert agent.display_name in body


def test_assigning_in_place_refuses_someone_outside_the_queue(client, agent, queue):
    ticket = TicketFactory(queue=queue)
    stranger = UserFactory(role=Role.AGENT)
    client.force_login(agent)
    response = client.post(f"/tickets/{ticket.reference}/inline/assignee/", {"assignee": stranger.pk}, **HTMX)
    assert response.status_code == 400
    assert "Select a valid choice" in text(response)  # only the queue's agents are offered or accepted


def test_moving_a_ticket_out_of_sight_from_its_page_goes_back_to_the_list(client, agent, queue, other_queue):
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    response = client.post(f"/tickets/{ticket.reference}/inline/queue/", {"queue": other_queue.pk}, **HTMX)
    assert response["HX-Redirect"] == "/tickets/"
    assert ("info", f"{ticket.reference} now belongs to {other_queue.name} and has left your view.") in flashes(
        response
    )


def test_changes_in_place_are_refused_to_those_who_may_not_and_hidden_from_those_who_may_not_see(
    client, agent, requester, queue
):
    mine = TicketFactory(queue=queue, requester=requester)
    elsewhere = TicketFactory()
    client.force_login(requester)
    response = client.post(f"/tickets/{mine.reference}/inline/severity/", {"severity": severity("SEV1").pk}, **HTMX)
    assert response.status_code == 403
    client.force_login(agent)
    response = client.post(
        f"/tickets/{elsewhere.reference}/inline/severity/", {"severity": severity("SEV1").pk}, **HTMX
    )
    assert response.status_code == 404
    assert Ticket.objects.get(pk=mine.pk).severity.name == Ticket.objects.get(pk=elsewhere.pk).severity.name == "SEV3"


def test_without_htmx_a_change_in_place_still_works_and_lands_on_the_ticket(client, agent, queue):
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    assert client.get(f"/tickets/{ticket.reference}/inline/severity/").url == f"/tickets/{ticket.reference}/"
    response = client.post(f"/tickets/{ticket.reference}/inline/severity/", {"severity": severity("SEV2").pk})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).severity.name == "SEV2"


# Bulk actions -----------------------------------------------------------------------------------------------------


def bulk(client, tickets, action: str, **data):
    ids = [t.pk if isinstance(t, Ticket) else t for t in tickets]
    return client.post("/tickets/bulk/", {"tickets": ids, "action": action, "query": "sort=newest", **data}, **HTMX)


def test_bulk_acknowledge_says_what_it_did_to_each_ticket(client, agent, queue):
    fresh = TicketFactory.create_batch(2, queue=queue)
    closed = services.ticket_transition(ticket=resolved(TicketFactory(queue=queue)), actor=None, action=Action.CLOSE)
    unseen = TicketFactory()  # another team's
    client.force_login(agent)
    response = bulk(client, [*fresh, closed, unseen], "acknowledge")
    assert response.status_code == 200
    body = text(response)
    assert "2 updated, 2 skipped:" in body
    assert json.loads(response["HX-Trigger"]) == {"tickets-changed": {"references": [t.reference for t in fresh]}}
    assert f"{closed.reference}: “Acknowledge” does not apply to a ticket that is closed." in body
    assert f"{unseen.reference}: no such ticket" in body  # the same words as for a number nobody uses
    assert unseen.title not in body
    assert {t.status for t in Ticket.objects.filter(pk__in=[t.pk for t in fresh])} == {S.ACKNOWLEDGED}
    assert Ticket.objects.get(pk=unseen.pk).status == S.NEW
    assert 'id="results"' not in body and "bulk-form" in body  # the results partial, for #results


def test_bulk_assign_skips_tickets_of_queues_the_assignee_does_not_work(client, agent, queue):
    colleague = UserFactory(role=Role.AGENT)
    queue.members.add(colleague)
    other = QueueFactory(members=[agent])
    here, there = TicketFactory(queue=queue), TicketFactory(queue=other)
    client.force_login(agent)
    body = text(bulk(client, [here, there], "assign", assignee=colleague.pk))
    reason = f"{colleague.display_name} does not work the {other.name} queue"
    assert f"1 updated, 1 skipped: {there.reference}: {reason}" in body
    assert Ticket.objects.get(pk=here.pk).assignee == colleague
    assert Ticket.objects.get(pk=there.pk).assignee is None


def test_bulk_move_and_assign_to_me(client, agent, queue):
    other = QueueFactory(members=[agent])
    tickets = TicketFactory.create_batch(2, queue=queue)
    client.force_login(agent)
    assert "2 updated" in text(bulk(client, tickets, "move", queue=other.pk))
    assert "2 updated" in text(bulk(client, tickets, "assign_me"))
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("queue", "assignee")) == {
        (other.pk, agent.pk)
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "resolve"}, "Say what fixed them: resolving needs a note."),
        ({"action": "assign"}, "Choose whom to assign the tickets to."),
        ({"action": "move"}, "Choose the queue to move the tickets to."),
        ({"action": "delete"}, "Select a valid choice."),
    ],
)
def test_a_bulk_form_that_is_not_complete_says_what_is_missing_and_changes_nothing(client, agent, queue, data, message):
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    response = bulk(client, [ticket], **data)
    assert response.status_code == 400
    assert message in text(response)
    assert Ticket.objects.get(pk=ticket.pk).status == S.NEW


def test_bulk_changes_are_capped(client, agent, queue):
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    response = bulk(client, [ticket.pk, *range(10_000, 10_100)], "acknowledge")
    assert response.status_code == 400
    assert "Select at most 100 tickets at a time; you selected 101." in text(response)
    assert Ticket.objects.get(pk=ticket.pk).status == S.NEW
    assert "Select at least one ticket." in text(bulk(client, [], "acknowledge"))


def test_bulk_is_refused_to_requesters(client, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester)
    client.force_login(requester)
    assert bulk(client, [ticket], "acknowledge").status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == S.NEW


def test_bulk_without_htmx_goes_back_to_the_same_list_with_the_outcome(client, agent, queue):
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    response = client.post(
        "/tickets/bulk/", {"tickets": [ticket.pk], "action": "acknowledge", "query": "severity=SEV3&cursor=abc"}
    )
    assert response.url == "/tickets/?severity=SEV3"
    assert ("success", "1 updated") in flashes(response)


def _bulk_queries(client, tickets) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert "updated" in text(bulk(client, tickets, "resolve", note="Fixed upstream."))
    return len(queries)


def test_bulk_queries_are_a_constant_plus_a_bounded_number_per_ticket(client, agent, queue):
    # given: warm caches (the person, severities, queues), then two batches of different sizes
    client.force_login(agent)
    client.get("/tickets/")
    small, large = TicketFactory.create_batch(2, queue=queue), TicketFactory.create_batch(6, queue=queue)
    # when
    for_small, for_large = _bulk_queries(client, small), _bulk_queries(client, large)
    # then: each ticket costs its own service's work (the lock, the save, the event, acknowledging and taking it,
    # the watch, the reactions) and that does not grow with the batch. Measured: 2 for the request (which tickets
    # the person sees, in one query) plus 10 a resolved ticket: 22 for 2 tickets, 62 for 6. Headroom for reactions.
    per_ticket = (for_large - for_small) / 4
    assert per_ticket <= 15
    assert for_small - 2 * per_ticket <= 5


# Saved views ------------------------------------------------------------------------------------------------------


def test_saving_the_list_filters_as_a_view_keeps_only_checked_filters(client, agent, queue):
    client.force_login(agent)
    response = client.post(
        "/tickets/views/",
        {"name": "My SEV1-2 in production", "query": "severity=SEV1&environment=production&cursor=xyz&bogus=1"},
    )
    view = SavedView.objects.get(owner=agent)
    assert view.query == "severity=SEV1&environment=production"
    assert response.url == f"/tickets/?{view.query}"
    page = text(client.get(response.url))
    assert re.search(r'aria-current="page"\s*>My SEV1-2 in production</a>', page)  # the tab of the view shown


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"query": "account=123"}, "Those filters don't work (account: An AWS account id is exactly 12 digits.)."),
        ({"name": "  "}, "This field is required."),
    ],
)
def test_a_view_that_cannot_be_saved_says_why(client, agent, data, message):
    client.force_login(agent)
    response = client.post("/tickets/views/", {"name": "Mine", "query": "status=all"} | data)
    assert response.status_code == 400
    assert message in text(response)
    assert not SavedView.objects.exists()


def test_two_views_may_not_share_a_name(client, agent):
    client.force_login(agent)
    client.post("/tickets/views/", {"name": "Mine", "query": "assignee=me"})
    response = client.post("/tickets/views/", {"name": "Mine", "query": "assignee=none"})
    assert response.status_code == 400
    assert "You already have a view called “Mine”." in text(response)


def test_views_are_renamed_and_deleted_by_their_owner_only(client, agent):
    view = services.saved_view_create(owner=agent, name="Mine", query="assignee=me")
    someone = UserFactory(role=Role.AGENT)
    client.force_login(someone)
    assert client.post(f"/tickets/views/{view.pk}/", {"name": "Theirs"}).status_code == 404
    assert client.post(f"/tickets/views/{view.pk}/delete/").status_code == 404
    client.force_login(agent)
    assert client.post(f"/tickets/views/{view.pk}/", {"name": "Still mine"}).status_code == 302
    assert SavedView.objects.get(pk=view.pk).name == "Still mine"
    assert client.post(f"/tickets/views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.exists()


def test_a_view_shared_with_a_queue_shows_to_its_members_only(client, agent, queue):
    member, outsider = UserFactory(role=Role.AGENT), UserFactory(role=Role.AGENT)
    queue.members.add(member)
    services.saved_view_create(owner=agent, name="Team SEV1", query="severity=SEV1", shared_with=queue)
    client.force_login(member)
    assert "Team SEV1</a>" in text(client.get("/tickets/"))
    client.force_login(outsider)
    assert "Team SEV1" not in text(client.get("/tickets/"))


def test_a_view_is_shared_only_with_a_queue_its_owner_works(client, agent, other_queue):
    client.force_login(agent)
    response = client.post("/tickets/views/", {"name": "Theirs", "query": "", "shared_with": other_queue.pk})
    assert response.status_code == 400
    assert not SavedView.objects.exists()


def test_a_saved_view_never_shows_more_than_the_list(client, requester):
    mine = TicketFactory(requester=requester)
    others = TicketFactory()
    view = services.saved_view_create(owner=requester, name="Everything", query="status=all")
    client.force_login(requester)
    refs = html_refs(client.get(f"/tickets/?{view.query}"))
    assert refs == [mine.reference]
    assert others.reference not in refs


def test_the_views_page_costs_the_same_for_many_views(client, agent, queue, django_assert_max_num_queries):
    for n in range(12):
        services.saved_view_create(owner=agent, name=f"View {n}", query="assignee=me", shared_with=queue)
    client.force_login(agent)
    client.get("/tickets/views/")
    with django_assert_max_num_queries(3):
        response = client.get("/tickets/views/")
    assert text(response).count('data-action="delete-view"') == 12


# Canned replies ---------------------------------------------------------------------------------------------------


def test_an_agent_keeps_replies_of_their_own_and_a_manager_the_teams(client, agent, manager):
    client.force_login(agent)
    response = client.post("/tickets/replies/", {"title": "Restart", "body": "Please restart.", "team": "on"})
    assert response.status_code == 302
    assert CannedReply.objects.get(title="Restart").owner == agent  # agents have no team box: theirs
    client.force_login(manager)
    client.post("/tickets/replies/", {"title": "Thanks", "body": "Thanks, {{ requester }}.", "team": "on"})
    assert CannedReply.objects.get(title="Thanks").owner is None


def test_a_reply_without_text_says_so(client, agent):
    client.force_login(agent)
    response = client.post("/tickets/replies/", {"title": "Empty", "body": "   "})
    assert response.status_code == 400
    assert "This field is required." in text(response)


def test_replies_of_others_are_hidden_and_the_teams_are_not_agents_to_change(client, agent, manager):
    theirs = services.canned_reply_save(actor=UserFactory(role=Role.AGENT), title="Theirs", body="x")
    team = services.canned_reply_save(actor=manager, title="Team", body="y", team=True)
    client.force_login(agent)
    assert client.get(f"/tickets/replies/{theirs.pk}/").status_code == 404
    response = client.post(f"/tickets/replies/{team.pk}/", {"title": "Mine now", "body": "z"})
    assert response.status_code == 400
    assert "Only admins and managers keep the team's replies." in text(response)
    client.post(f"/tickets/replies/{team.pk}/delete/")
    assert CannedReply.objects.filter(pk=team.pk, title="Team").exists()


def test_requesters_have_no_canned_replies(client, requester):
    client.force_login(requester)
    assert client.get("/tickets/replies/").status_code == 403


def test_the_picker_offers_the_replies_for_the_tickets_queue(client, agent, manager, queue, other_queue):
    ticket = TicketFactory(queue=queue)
    services.canned_reply_save(actor=agent, title="Mine", body="a")
    services.canned_reply_save(actor=manager, title="For this queue", body="b", queue=queue, team=True)
    services.canned_reply_save(actor=manager, title="For another", body="c", queue=other_queue, team=True)
    client.force_login(agent)
    assert f'hx-get="/tickets/{ticket.reference}/replies/"' in text(client.get(ticket.get_absolute_url()))
    picker = text(client.get(f"/tickets/{ticket.reference}/replies/", **HTMX))
    assert "Mine" in picker and "For this queue" in picker
    assert "For another" not in picker


def test_a_reply_is_filled_in_as_plain_text(client, agent, queue):
    ticket = TicketFactory(queue=queue, title="VPN <b>down</b>")
    reply = services.canned_reply_save(
        actor=agent,
        title="Ack",
        body="Hi {{ requester }}, {{reference}} ({{ title }}) is with {{ me }}. {{ settings.SECRET_KEY }} {% debug %}",
    )
    client.force_login(agent)
    response = client.get(f"/tickets/{ticket.reference}/replies/{reply.pk}/")
    body = json.loads(response.content)["body"]
    assert body == (
        f"Hi {ticket.requester.display_name}, {ticket.reference} (VPN <b>down</b>) is with {agent.display_name}."
        " {{ settings.SECRET_KEY }} {% debug %}"
    )


def test_a_reply_for_another_queue_is_not_offered_for_this_ticket(client, agent, manager, queue, other_queue):
    ticket = TicketFactory(queue=queue)
    reply = services.canned_reply_save(actor=manager, title="Elsewhere", body="c", queue=other_queue, team=True)
    client.force_login(agent)
    assert client.get(f"/tickets/{ticket.reference}/replies/{reply.pk}/").status_code == 404


def test_the_replies_page_and_picker_cost_the_same_for_many_replies(
    client, agent, queue, django_assert_max_num_queries
):
    ticket = TicketFactory(queue=queue)
    for n in range(15):
        services.canned_reply_save(actor=agent, title=f"Reply {n}", body="x", queue=queue if n % 2 else None)
    client.force_login(agent)
    client.get("/tickets/replies/")
    with django_assert_max_num_queries(3):
        assert client.get("/tickets/replies/").status_code == 200
    with django_assert_max_num_queries(4):  # the ticket, its watchers, its tags; the replies
        picker = client.get(f"/tickets/{ticket.reference}/replies/", **HTMX)
    assert text(picker).count("<option") == 16
