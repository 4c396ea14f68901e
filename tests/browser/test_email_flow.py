"""Mail seen in the portal: a request by email and the requester's emailed reply appear on the ticket "from email",
with the file attached, as a person would read them."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from mail import services
from mail.models import Mailbox
from tickets.models import Queue, Ticket

from ..factories import UserFactory
from ..mail.conftest import sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_request_and_a_reply_by_email_read_on_the_ticket_page(browser, live_server, sign_in, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    agent = UserFactory(role=Role.AGENT, first_name="Alex", last_name="Moreno")
    queue = Queue.objects.get(is_default=True)
    queue.members.add(agent)
    mailbox = Mailbox.objects.create(address="support@example.net", queue=queue, allowed_domains="example.com")
    # given: Jo writes in, with logs attached, then answers by email
    services.email_receive(mailbox=mailbox, raw=sample("attachments"), delivery_id="t:1")
    ticket = Ticket.objects.get()
    services.email_receive(mailbox=mailbox, raw=sample("gmail_reply", ticket=ticket.pk, notice=1), delivery_id="t:2")
    # when: the agent opens the ticket
    page = browser.new_context().new_page()
    sign_in(page, agent.email)
    page.goto(f"{live_server.url}{ticket.get_absolute_url()}")
    # then
    expect(page.locator(".ticket-head")).to_contain_text("VPN logs attached")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("It happened again at 08:05 — same symptoms.")
    expect(timeline).not_to_contain_text("wrote:")
    expect(timeline.locator(".event-via").first).to_have_text("from email")
    expect(page.get_by_text("vpn-config.pdf").first).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Network team")  # the signature
    page.screenshot(path=str(tmp_path / "ticket-from-email.png"), full_page=True)
