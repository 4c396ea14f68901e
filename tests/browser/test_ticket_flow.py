"""A requester files a ticket; an agent acknowledges, comments and resolves it; each sees what they should."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tickets.models import Queue, Ticket

from ..factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_requester_files_agent_resolves(browser, live_server, sign_in):
    requester = UserFactory(role=Role.REQUESTER, first_name="Riya", last_name="Shah")
    agent = UserFactory(role=Role.AGENT, first_name="Alex", last_name="Moreno")
    Queue.objects.get(is_default=True).members.add(agent)

    # given: the requester files a ticket through the form, after a validation error
    riya = browser.new_context().new_page()
    sign_in(riya, requester.email)
    riya.click("text=New request")
    riya.fill("input[name=title]", "VPN")
    riya.click("button:has-text('File request')")
    expect(riya.locator(".field-error").first).to_be_visible()
    expect(riya.get_by_text("Give the ticket a title of a few words.")).to_be_visible()
    riya.fill("input[name=title]", "VPN drops every ten minutes")
    riya.fill("textarea[name=description]", "Since Monday, on the office wifi.")
    riya.click("button:has-text('File request')")
    expect(riya.locator(".flash-success")).to_contain_text("filed")
    ticket = Ticket.objects.get(title="VPN drops every ten minutes")
    expect(riya.locator(".ticket-head .status")).to_have_text("New")
    expect(riya.locator("button.action-acknowledge")).to_have_count(0)

    # when: the agent finds it in the queue, acknowledges, comments, adds a note and resolves
    alex = browser.new_context().new_page()
    sign_in(alex, agent.email)
    expect(alex.locator("section:has-text('Unassigned in my queues')")).to_contain_text(ticket.title)
    alex.click(f"text={ticket.title}")
    alex.click("button.action-acknowledge")
    expect(alex.locator(".ticket-head .status")).to_have_text("Acknowledged")
    alex.fill("textarea[name=body]", "Can you send the VPN client log?")
    alex.click("button:has-text('Add comment')")
    expect(alex.locator(".timeline")).to_contain_text("Can you send the VPN client log?")
    alex.fill("textarea[name=body]", "Probably the DHCP lease on floor 3.")
    alex.check("input[name=is_internal]")
    alex.click("button:has-text('Add comment')")
    expect(alex.locator(".comment.internal")).to_contain_text("DHCP lease")
    alex.click("summary.action-resolve")
    alex.fill("#note-resolve", "Lease time raised to 8 hours.")
    alex.click(".note-action button:has-text('Resolve')")
    expect(alex.locator(".ticket-head .status")).to_have_text("Resolved")

    # then: the requester sees the reply and the resolution, not the internal note, and may reopen or close
    riya.reload()
    expect(riya.locator(".ticket-head .status")).to_have_text("Resolved")
    expect(riya.locator(".timeline")).to_contain_text("Can you send the VPN client log?")
    expect(riya.locator(".timeline")).to_contain_text("Lease time raised to 8 hours.")
    expect(riya.locator(".timeline")).not_to_contain_text("DHCP lease")
    expect(riya.locator("button.action-close")).to_be_visible()
    expect(riya.locator("summary.action-reopen")).to_be_visible()
    expect(riya.locator("text=Assign…")).to_have_count(0)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED and ticket.assignee == agent
