"""An agent works the list in place: a severity changed in its row, two tickets acknowledged at once, a canned reply
inserted into a comment; no page reload, no script the Content-Security-Policy refuses."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tickets import services
from tickets.models import Queue, Ticket

from ..factories import TicketFactory, UserFactory, severity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_agent_changes_in_place_acts_in_bulk_and_inserts_a_canned_reply(browser, live_server, sign_in):
    # given: three tickets in the agent's queue, and a canned reply of theirs
    agent = UserFactory(role=Role.AGENT, first_name="Alex", last_name="Moreno")
    requester = UserFactory(role=Role.REQUESTER, first_name="Riya", last_name="Shah")
    queue = Queue.objects.get(is_default=True)
    queue.members.add(agent)
    first, second, third = (TicketFactory(queue=queue, requester=requester) for _ in range(3))
    services.canned_reply_save(actor=agent, title="Need logs", body="Hi {{ requester }}, please send logs.")
    page = browser.new_context().new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security" in message.text else None)
    sign_in(page, agent.email)
    page.goto(f"{live_server.url}/tickets/")
    page.evaluate("window.notReloaded = true")

    # when: the severity of one ticket is changed in its row
    expect(page.locator("[data-bulk-bar]")).to_be_hidden()  # until a ticket is ticked
    page.click(f"#cell-{first.reference}-severity [data-inline-edit]")
    page.select_option(f"#cell-{first.reference}-severity select[name=severity]", str(severity("SEV1").pk))
    page.click(f"#cell-{first.reference}-severity [data-action=inline-save]")
    # then: the row shows it, and the page was not reloaded
    expect(page.locator(f"#row-{first.reference} .col-sev .sev")).to_have_text("SEV1")
    assert page.evaluate("window.notReloaded") is True
    assert Ticket.objects.get(pk=first.pk).severity.name == "SEV1"

    # when: two tickets are ticked and acknowledged at once
    page.check(f"#row-{second.reference} [data-bulk-pick]")
    page.check(f"#row-{third.reference} [data-bulk-pick]")
    expect(page.locator("[data-bulk-count]")).to_have_text("2 tickets selected")
    page.select_option("[data-bulk-action]", "acknowledge")
    page.click("[data-action=bulk-apply]")
    # then: the list says what happened and shows the new statuses
    expect(page.locator("#results .flash")).to_have_text("2 updated")
    expect(page.locator(f"#row-{second.reference} .status")).to_have_text("Acknowledged")
    assert set(Ticket.objects.filter(pk__in=[second.pk, third.pk]).values_list("status", flat=True)) == {
        Ticket.Status.ACKNOWLEDGED
    }

    # when: on a ticket's page, the canned reply is picked
    page.goto(f"{live_server.url}/tickets/{first.reference}/")
    page.select_option("[data-canned-picker]", label="Need logs")
    # then: the comment box holds it, filled in for this ticket
    expect(page.locator("#id_body")).to_have_value("Hi Riya Shah, please send logs.")
    assert refused == []
