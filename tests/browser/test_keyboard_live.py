"""An engineer works the list and a ticket from the keyboard, and sees changes made elsewhere without reloading."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tickets import services
from tickets.models import Ticket

from ..factories import QueueFactory, TicketFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def selected(page):
    return page.locator("tr.is-selected")


def test_keyboard_shortcuts_on_the_list_and_the_ticket(browser, live_server, sign_in):
    agent = UserFactory(role=Role.AGENT)
    queue = QueueFactory(members=[agent])
    first, second, third = (TicketFactory(queue=queue, title=f"Broken thing {n}") for n in range(3))
    page = browser.new_page()
    sign_in(page, agent.email)

    # g t: to the tickets; j/k move a visible selection (newest first)
    page.keyboard.press("g")
    page.keyboard.press("t")
    page.wait_for_url(f"{live_server.url}/tickets/")
    page.keyboard.press("j")
    expect(selected(page)).to_have_attribute("data-ref", third.reference)
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(selected(page)).to_have_attribute("data-ref", first.reference)
    page.keyboard.press("k")
    expect(selected(page)).to_have_attribute("data-ref", second.reference)
    expect(selected(page)).to_have_attribute("aria-current", "true")
    page.keyboard.press("x")  # no checkboxes on this list: nothing happens, nothing breaks

    # "/" searches; keys typed there are text, not shortcuts
    page.keyboard.press("/")
    expect(page.locator("#id_q")).to_be_focused()
    page.keyboard.type("jk")
    expect(page.locator("#id_q")).to_have_value("jk")
    expect(selected(page)).to_have_attribute("data-ref", second.reference)
    page.locator("#id_q").fill("")
    page.locator("#id_q").blur()
    expect(page.locator("tr[data-ref]")).to_have_count(3)

    # o opens the selected ticket
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(f"{live_server.url}{first.get_absolute_url()}")

    # a acknowledges through the page's own button; c goes to the comment box; e opens the edit form
    page.keyboard.press("a")
    expect(page.locator(".ticket-head .status")).to_have_text("Acknowledged")
    assert Ticket.objects.get(pk=first.pk).status == "acknowledged"
    page.keyboard.press("c")
    expect(page.locator("#id_body")).to_be_focused()
    page.keyboard.type("a c e")
    expect(page.locator("#id_body")).to_have_value("a c e")
    page.locator("#id_body").blur()
    page.keyboard.press("e")
    expect(page.locator("#work-panel input[name=title]")).to_be_visible()

    # ? lists the keys in a dialog, where single keys can be turned off (kept in this browser)
    page.locator("#work-panel input[name=title]").blur()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Acknowledge")
    dialog.get_by_label("Single-key shortcuts on").uncheck()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.goto(f"{live_server.url}/tickets/")
    page.keyboard.press("j")
    expect(selected(page)).to_have_count(0)
    page.keyboard.press("?")
    expect(dialog).to_be_hidden()
    # the sidebar's button still opens it, to turn them back on
    page.click("[data-shortcuts-help]")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Single-key shortcuts on").check()
    dialog.get_by_role("button", name="Close").click()
    page.keyboard.press("j")
    expect(selected(page)).to_have_count(1)


def test_changes_made_elsewhere_appear_without_a_reload(browser, live_server, sign_in):
    agent = UserFactory(role=Role.AGENT)
    colleague = UserFactory(role=Role.AGENT, first_name="Kim", last_name="Park")
    queue = QueueFactory(members=[agent, colleague])
    ticket = TicketFactory(queue=queue, title="Checkout is slow")
    page = browser.new_page()
    sign_in(page, agent.email)

    # the ticket page is open and the agent is typing a reply
    page.goto(f"{live_server.url}{ticket.get_absolute_url()}")
    page.fill("#id_body", "Half-written reply")
    page.evaluate("() => window.supportdeskLive.poll()")  # nothing changed: the page stays as it is
    expect(page.locator(".ticket-head .status")).to_have_text("New")

    # when: a colleague acknowledges it and comments
    services.ticket_transition(ticket=ticket, actor=colleague, action="acknowledge")
    services.comment_add(ticket=ticket, author=colleague, body="I'm on it.", is_internal=False, attachments=())
    page.evaluate("() => window.supportdeskLive.poll()")

    # then: the head, timeline and details show it; the reply being typed is untouched
    expect(page.locator(".ticket-head .status")).to_have_text("Acknowledged")
    expect(page.locator(".timeline")).to_contain_text("I'm on it.")
    expect(page.locator("#ticket-details")).to_contain_text("Acknowledged")
    expect(page.locator("#id_body")).to_have_value("Half-written reply")
    expect(page.locator("#live-status")).to_contain_text("Updated")

    # the list refreshes its rows too
    page.goto(f"{live_server.url}/tickets/")
    expect(page.locator(f"tr[data-ref='{ticket.reference}']")).to_contain_text("Acknowledged")
    services.ticket_transition(ticket=ticket, actor=colleague, action="start")
    page.evaluate("() => window.supportdeskLive.poll()")
    expect(page.locator(f"tr[data-ref='{ticket.reference}']")).to_contain_text("In progress")
