"""The HTML pages as a person uses them: forms, htmx partials, paging, replies and downloads."""

import html
import re

import pytest

from tickets import services
from tickets.models import LONG_TEXT_MAX, Attachment, Ticket
from tickets.workflow import Action

from ..factories import QueueFactory, TicketFactory, severity
from .helpers import flashes, forged_cursor, html_refs, upload

pytestmark = pytest.mark.django_db
S = Ticket.Status


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the files go away with the test


def page_text(response) -> str:
    return html.unescape(response.content.decode())


# Filing a request ---------------------------------------------------------------------------------


def create_form(**changes) -> dict:
    return {
        "title": "VPN drops every hour",
        "description": "Since Monday, on the office Wi-Fi only.",
        "kind": "incident",
        "severity": severity("SEV3").pk,
        "environment": "",
        "aws_account_id": "",
        "tags": "vpn, wifi",
    } | changes


BAD_FORMS = [
    pytest.param({"title": ""}, "This field is required.", id="empty-title"),
    pytest.param({"title": "   "}, "This field is required.", id="blank-title"),
    pytest.param({"title": "VPN"}, "Give the ticket a title of a few words.", id="short-title"),
    pytest.param({"severity": "999"}, "Select a valid choice.", id="unknown-severity"),
    pytest.param({"kind": "aws_finding"}, "Select a valid choice.", id="kind-for-agents-only"),
    pytest.param(
        {"attachments": [upload("setup.exe", b"MZ\x90", "application/octet-stream")]},
        "setup.exe: files of type .exe are not accepted",
        id="disallowed-file-type",
    ),
    pytest.param(
        {"attachments": [upload("ok.log"), upload("page.html", b"<script>", "text/html")]},
        "page.html: files of type .html are not accepted",
        id="one-bad-file-among-good",
    ),
]


@pytest.mark.parametrize(("changes", "message"), BAD_FORMS)
def test_create_form_shows_what_is_wrong_and_files_nothing(client, requester, changes, message):
    client.force_login(requester)
    response = client.post("/tickets/new/", create_form(**changes))
    assert response.status_code == 400
    text = page_text(response)
    assert message in text
    assert 'role="alert"' in text  # the summary above the form
    assert "Since Monday, on the office Wi-Fi only." in text  # what they typed is still there
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()


def test_create_form_that_is_too_large_a_file_is_refused(client, requester, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    client.force_login(requester)
    big = upload("huge.log", b"x" * (1024 * 1024 + 1))
    response = client.post("/tickets/new/", create_form(attachments=[big]))
    assert response.status_code == 400
    assert "huge.log is larger than the 1 MB limit." in page_text(response)
    assert not Ticket.objects.exists()


def test_valid_create_goes_to_the_new_ticket_page(client, requester, queue):
    client.force_login(requester)
    response = client.post("/tickets/new/", create_form(queue=queue.pk, attachments=[upload("vpn.log")]))
    ticket = Ticket.objects.get()
    assert (response.status_code, response.url) == (302, ticket.get_absolute_url())
    page = client.get(response.url)
    text = page_text(page)
    assert f"{ticket.reference} filed." in text
    assert "VPN drops every hour" in text and "vpn.log" in text
    assert (ticket.requester, ticket.queue, sorted(t.name for t in ticket.tags.all())) == (
        requester,
        queue,
        ["vpn", "wifi"],
    )


@pytest.mark.parametrize("account", ["12345", "1234567890ab"])
def test_create_form_refuses_a_malformed_aws_account(client, agent, account):
    client.force_login(agent)
    response = client.post("/tickets/new/", create_form(aws_account_id=account))
    assert response.status_code == 400
    assert "An AWS account id is exactly 12 digits." in page_text(response)
    assert not Ticket.objects.exists()


def test_an_agent_files_a_ticket_for_an_aws_account(client, agent):
    client.force_login(agent)
    assert 'name="aws_account_id"' in client.get("/tickets/new/").content.decode()
    client.post("/tickets/new/", create_form(aws_account_id="111122223333"))
    assert Ticket.objects.get().aws_account_id == "111122223333"


def test_a_requester_cannot_name_an_aws_account(client, requester):
    # the account triggers rules, up to an AWS Support case at "Production system down"
    client.force_login(requester)
    assert 'name="aws_account_id"' not in client.get("/tickets/new/").content.decode()
    client.post("/tickets/new/", create_form(aws_account_id="111122223333"))  # a forged form
    assert Ticket.objects.get().aws_account_id == ""


def test_create_form_starts_at_the_lowest_severity_that_is_not_planning(client, requester):
    client.force_login(requester)
    text = client.get("/tickets/new/").content.decode()
    assert re.search(rf'<option value="{severity("SEV4").pk}" selected>', text)


# The list -----------------------------------------------------------------------------------------


def test_htmx_list_request_gets_the_results_without_the_layout(client, agent, queue):
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    partial = client.get("/tickets/", HTTP_HX_REQUEST="true")
    full = client.get("/tickets/")
    assert partial.status_code == full.status_code == 200
    assert html_refs(partial) == html_refs(full) == [ticket.reference]
    assert "<html" not in partial.content.decode() and 'class="sidebar"' not in partial.content.decode()
    assert "<html" in full.content.decode() and 'class="sidebar"' in full.content.decode()


def test_boosted_navigation_gets_the_whole_page(client, agent):
    client.force_login(agent)
    response = client.get("/tickets/", HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true")
    assert "<html" in response.content.decode()


def test_list_pages_forward_and_back(client, agent, queue):
    tickets = [TicketFactory(queue=queue) for _ in range(30)]
    newest_first = [t.reference for t in reversed(tickets)]
    client.force_login(agent)
    first = client.get("/tickets/", {"status": "all"})
    assert html_refs(first) == newest_first[:25]
    [next_link] = re.findall(r'href="(\?[^"]*cursor=[^"]+)"[^>]*>Next', first.content.decode())
    second = client.get("/tickets/" + html.unescape(next_link))
    assert html_refs(second) == newest_first[25:]
    assert "Next →" not in second.content.decode()
    [back_link] = re.findall(r'href="(\?[^"]*cursor=[^"]+)"[^>]*>← Previous', second.content.decode())
    assert "status=all" in back_link  # the filters ride along
    assert html_refs(client.get("/tickets/" + html.unescape(back_link))) == newest_first[:25]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        forged_cursor({"v": ["yesterday"], "b": False}),
        forged_cursor({"v": [1, 2, 3], "b": True}),
        pytest.param(forged_cursor(b'{"v": [Infinity], "b": false}'), id="infinite-value"),
    ],
)
def test_forged_cursor_goes_back_to_the_first_page_with_a_message(client, agent, queue, cursor):
    TicketFactory(queue=queue)
    client.force_login(agent)
    response = client.get("/tickets/", {"status": "all", "sort": "oldest", "cursor": cursor})
    assert (response.status_code, response.url) == (302, "/tickets/?status=all&sort=oldest")
    assert flashes(response) == [("warning", "This page link is out of date; start again from the first page.")]


def test_cursor_with_a_date_at_the_edge_of_the_calendar_goes_back_to_the_first_page(client, agent, queue):
    TicketFactory(queue=queue)
    client.force_login(agent)
    cursor = forged_cursor({"v": ["9999-12-31T23:59:59-14:00", 1], "b": False})
    response = client.get("/tickets/", {"sort": "updated", "cursor": cursor})
    assert (response.status_code, response.url) == (302, "/tickets/?sort=updated")
    assert flashes(response) == [("warning", "This page link is out of date; start again from the first page.")]


def test_invalid_filters_are_explained_on_the_page(client, agent):
    client.force_login(agent)
    response = client.get("/tickets/", {"severity": "SEV9", "account": "123"})
    text = page_text(response)
    assert "Those filters don't work" in text
    assert "An AWS account id is exactly 12 digits." in text


# The ticket page ----------------------------------------------------------------------------------


def test_requester_reply_to_a_ticket_waiting_on_them_moves_it_back_to_in_progress(client, agent, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester)
    services.ticket_transition(ticket=ticket, actor=agent, action=Action.WAIT_ON_REQUESTER)
    client.force_login(requester)
    response = client.post(f"/tickets/{ticket.reference}/comment/", {"body": "Here is the log you asked for."})
    assert (response.status_code, response.url) == (302, ticket.get_absolute_url())
    ticket.refresh_from_db()
    assert ticket.status == S.IN_PROGRESS
    page = page_text(client.get(ticket.get_absolute_url()))
    assert "from <em>Waiting on requester</em> to <em>In progress</em>" in page
    assert "The requester replied." in page


def test_agent_reply_leaves_a_ticket_waiting_on_the_requester(client, agent, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester)
    services.ticket_transition(ticket=ticket, actor=agent, action=Action.WAIT_ON_REQUESTER)
    client.force_login(agent)
    client.post(f"/tickets/{ticket.reference}/comment/", {"body": "Any luck with that log?"})
    ticket.refresh_from_db()
    assert ticket.status == S.WAITING_REQUESTER


def test_empty_comment_is_refused_on_the_page(client, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester)
    client.force_login(requester)
    response = client.post(f"/tickets/{ticket.reference}/comment/", {"body": "   "})
    assert response.status_code == 400
    assert "This field is required." in page_text(response)
    assert not ticket.comments.exists()


def test_text_past_the_apis_limit_is_refused_on_the_pages_too(client, requester, queue):
    client.force_login(requester)
    response = client.post("/tickets/new/", create_form(description="x" * (LONG_TEXT_MAX + 1)))
    assert response.status_code == 400 and "at most 50000 characters" in page_text(response)
    assert not Ticket.objects.exists()
    ticket = TicketFactory(queue=queue, requester=requester)
    response = client.post(f"/tickets/{ticket.reference}/comment/", {"body": "y" * (LONG_TEXT_MAX + 1)})
    assert response.status_code == 400 and "at most 50000 characters" in page_text(response)
    assert not ticket.comments.exists()


def test_illegal_transition_on_the_page_says_why_and_changes_nothing(client, agent, queue):
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    response = client.post(f"/tickets/{ticket.reference}/transition/", {"action": "resolve", "note": ""})
    assert (response.status_code, response.url) == (302, ticket.get_absolute_url())
    assert flashes(response) == [("error", "Say why: “Resolve” needs a note.")]
    assert Ticket.objects.get(pk=ticket.pk).status == S.NEW


def test_htmx_work_form_is_a_partial(client, agent, queue):
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    response = client.get(f"/tickets/{ticket.reference}/escalate/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode() and 'name="reason"' in response.content.decode()


def test_attachment_is_downloaded_never_shown_inline(client, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester, attachments=[upload("trace.har", b'{"log": {}}')])
    attachment = ticket.attachments.get()
    client.force_login(requester)
    response = client.get(f"/tickets/{ticket.reference}/files/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="trace.har"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b'{"log": {}}'


def test_download_link_on_the_page_leads_to_the_file(client, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester, attachments=[upload("boot.log")])
    client.force_login(requester)
    page = client.get(ticket.get_absolute_url()).content.decode()
    [link] = re.findall(r'href="(/tickets/[^"]+/files/\d+/)"', page)
    assert client.get(link)["Content-Disposition"].startswith("attachment;")


def test_moving_a_ticket_out_of_your_queues_lands_on_the_list_with_a_note(client, agent, queue):
    elsewhere = QueueFactory(name="Databases")
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    response = client.post(
        f"/tickets/{ticket.reference}/escalate/", {"reason": "The DBAs own this.", "queue": elsewhere.pk}
    )
    assert response.status_code == 302 and response["Location"] == "/tickets/"
    assert any("has left your view" in text for _, text in flashes(client.get("/tickets/")))


def test_comments_keep_their_paragraphs_and_never_run_as_html(client, agent, queue):
    ticket = TicketFactory(queue=queue, description="First line\nsecond line")
    services.comment_add(ticket=ticket, author=agent, body='Try this:\n\n<script>alert("x")</script>')
    client.force_login(agent)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "<p>First line<br>second line</p>" in page
    assert "<p>Try this:</p>" in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<script>alert("x")</script>' not in page


def test_titles_are_escaped_in_lists(client, agent, queue):
    TicketFactory(queue=queue, title='<img src=x onerror="alert(1)"> broken')
    client.force_login(agent)
    page = client.get("/tickets/").content.decode()
    assert "&lt;img src=x" in page
    assert "<img src=x" not in page


# The ticket page's story (description and timeline) is cached per event count and audience -----------


def change_comment(ticket, agent, requester):
    services.comment_add(ticket=ticket, author=requester, body="Still broken after the reboot.")
    return "Still broken after the reboot."


def change_description(ticket, agent, requester):
    services.ticket_update(ticket=ticket, actor=requester, description="It fails on the guest Wi-Fi too.")
    return "It fails on the guest Wi-Fi too."


def change_watcher(ticket, agent, requester):
    services.watcher_set(ticket=ticket, actor=agent, user=agent, watching=True)  # leaves updated_at alone
    return f"added {agent.display_name} as a watcher"


def change_status_note(ticket, agent, requester):
    services.ticket_transition(ticket=ticket, actor=agent, action=Action.RESOLVE, note="Replaced the access point.")
    return "Replaced the access point."


@pytest.mark.parametrize("change", [change_comment, change_description, change_watcher, change_status_note])
@pytest.mark.parametrize("viewer", ["agent", "requester"])
def test_a_change_after_a_view_shows_on_the_next_view(client, request, agent, requester, queue, change, viewer):
    # given: the page seen once, so its story is cached
    ticket = TicketFactory(queue=queue, requester=requester, description="The VPN drops.")
    client.force_login(request.getfixturevalue(viewer))
    client.get(ticket.get_absolute_url())
    # when
    shown = change(ticket, agent, requester)
    # then
    assert shown in page_text(client.get(ticket.get_absolute_url()))


def test_a_requester_never_sees_an_internal_note_from_a_story_an_agent_cached(client, agent, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester)
    services.comment_add(ticket=ticket, author=agent, body="Customer is on the legacy plan.", is_internal=True)
    client.force_login(agent)
    assert "Customer is on the legacy plan." in page_text(client.get(ticket.get_absolute_url()))
    client.force_login(requester)
    page = page_text(client.get(ticket.get_absolute_url()))
    assert "Customer is on the legacy plan." not in page
    assert "internal note" not in page


def test_an_agent_sees_an_internal_note_after_a_requester_cached_the_story(client, agent, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester)
    services.comment_add(ticket=ticket, author=agent, body="Customer is on the legacy plan.", is_internal=True)
    client.force_login(requester)
    assert "Customer is on the legacy plan." not in page_text(client.get(ticket.get_absolute_url()))
    client.force_login(agent)
    assert "Customer is on the legacy plan." in page_text(client.get(ticket.get_absolute_url()))


def test_a_new_internal_note_shows_to_agents_at_once(client, agent, requester, queue):
    ticket = TicketFactory(queue=queue, requester=requester)
    client.force_login(agent)
    client.get(ticket.get_absolute_url())
    services.comment_add(ticket=ticket, author=agent, body="Escalating to the network team.", is_internal=True)
    assert "Escalating to the network team." in page_text(client.get(ticket.get_absolute_url()))


def test_a_requesters_home_lists_their_most_severe_open_requests_first(client, requester, queue):
    # given: an old SEV1 request, then more newer SEV4 ones than the section shows
    urgent = TicketFactory(queue=queue, requester=requester, severity=severity("SEV1"), title="Payroll is down")
    for n in range(9):
        TicketFactory(queue=queue, requester=requester, severity=severity("SEV4"), title=f"Small thing {n}")
    client.force_login(requester)
    # when
    page = page_text(client.get("/"))
    # then: the urgent one leads, and the full list is a click away in the same order
    assert page.index(urgent.title) < page.index("Small thing 8")
    assert "?requester=me&amp;sort=severity" in client.get("/").content.decode()
