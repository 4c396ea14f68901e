"""A manager opens the trends page and the finance view: the charts draw, and a figure leads to its tickets."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from tickets.models import Ticket

from ..factories import QueueFactory, TicketFactory, UserFactory
from ..kpis.trends_data import account, finding, move, ta_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp")


def test_manager_reads_trends_and_finance(browser, live_server, sign_in):
    # given: a month of tickets and cost findings
    manager = UserFactory(role=Role.MANAGER)
    payments = QueueFactory(name="Payments", slug="payments")
    for n in range(6):
        TicketFactory(queue=payments if n % 2 else QueueFactory(), tags=["vpn"] if n % 3 else ["billing"])
    ticket = Ticket.objects.filter(queue=payments).first()
    day = f"{timezone.localdate():%Y-%m-%d}"
    move(ticket, f"{day} 00:00", "acknowledge")
    aws = account("111122223333", "Payments prod")
    finding(aws, ta_check("Idle load balancers"), "a", first_seen=f"{day} 00:00", savings="120.50")
    earlier = f"{timezone.localdate() - timedelta(days=40):%Y-%m-%d}"
    finding(
        aws,
        ta_check("Underutilized EBS volumes"),
        "b",
        first_seen=f"{earlier} 00:00",
        savings="30.00",
        resolved=f"{day} 00:00",
    )
    page = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
    sign_in(page, manager.email)

    # when: the trends page opens from the sidebar
    page.click("nav >> text=Trends")
    # then: every chart is drawn by Chart.js
    expect(page.locator("canvas[data-chart]")).to_have_count(5)  # repeats is a table only
    expect(page.locator("canvas[data-drawn]")).to_have_count(page.locator("canvas[data-chart]").count())
    assert page.evaluate("() => typeof Chart === 'function'")
    expect(page.locator("#queues")).to_contain_text("Payments")
    page.screenshot(path=f"{SCREENSHOTS}/trends.png", full_page=True)

    # when: a queue row is followed to its tickets
    page.click("#queues summary")
    page.click("#queues table >> text=Payments")
    # then: the list shows what it is filtered to
    expect(page.locator(".chip")).to_contain_text(f"Created from {timezone.localdate() - timedelta(days=29):%Y-%m-%d}")
    expect(page.locator("form.filters select[name=queue]")).to_have_value("payments")
    expect(page.locator("table.tickets tbody tr")).to_have_count(3)
    page.screenshot(path=f"{SCREENSHOTS}/ticket-list-from-trends.png")

    # when: back to the trends page (htmx restores it from its history)
    page.go_back()
    # then: the charts are drawn again
    expect(page.locator("#queues")).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas[data-chart]')].every((c) => window.Chart && Chart.getChart(c))"
    )

    # when: the finance view opens
    page.click("nav >> text=Finance")
    # then: the chart and the money
    expect(page.locator("canvas[data-drawn]")).to_have_count(1)
    expect(page.locator("#open-now")).to_contain_text("US$120.50")
    expect(page.locator("#realised")).to_contain_text("US$30.00")
    page.screenshot(path=f"{SCREENSHOTS}/finance.png", full_page=True)
