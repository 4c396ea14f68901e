"""A manager opens the dashboard: charts draw, a filter changes the figures, a click on a bar opens its tickets."""

import os
import re

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from kpis import services
from tickets import services as ticket_services
from tickets.workflow import Action

from ..factories import QueueFactory, TicketFactory, UserFactory, severity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _bar_click(page, chart: str, dataset: int, index: int) -> None:
    """Click the middle of one bar of a Chart.js chart, where a person would."""
    expect(page.locator(".kpi-loading")).to_have_count(0)  # every panel in: the layout no longer moves
    canvas = page.locator(f"#chart-{chart} canvas")
    canvas.scroll_into_view_if_needed()
    point = canvas.evaluate(
        "(c, [d, i]) => { const e = Chart.getChart(c).getDatasetMeta(d).data[i]; "
        "const p = e.getCenterPoint(); return {x: p.x, y: p.y}; }",
        [dataset, index],
    )
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def test_manager_reads_filters_and_drills_into_the_dashboard(browser, live_server, sign_in):
    manager = UserFactory(role=Role.MANAGER)
    agent = UserFactory(role=Role.AGENT)
    queue = QueueFactory(name="Platform", members=[agent])
    tickets = []
    for n, sev in enumerate(["SEV1", "SEV1", "SEV2", "SEV3", "SEV3", "SEV3"]):
        ticket = TicketFactory(queue=queue, severity=severity(sev), environment="production", title=f"Disk full {n}")
        ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)
        if n % 2:
            ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.RESOLVE, note="Cleaned up.")
        tickets.append(ticket)
    services.facts_refresh()

    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    sign_in(page, manager.email)
    page.click("nav >> text=Dashboard")
    page.wait_for_url(f"{live_server.url}/dashboard/")

    # the charts draw: canvases present, drawn by Chart.js, not blank
    flow = page.locator("#chart-flow canvas")
    expect(flow).to_have_attribute("data-drawn", "true")
    expect(page.locator("#chart-backlog canvas")).to_have_attribute("data-drawn", "true")
    painted = flow.evaluate("c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v !== 0)")
    assert painted
    created = page.locator('[data-kpi="created"] .kpi-value')
    expect(created).to_have_text("6")
    page.locator("#chart-flow [data-table-toggle]").click()
    expect(page.locator("#chart-flow .chart-table")).to_be_visible()
    if os.environ.get("KPI_SCREENSHOT"):
        page.wait_for_timeout(500)
        page.screenshot(path=os.environ["KPI_SCREENSHOT"], full_page=True)

    # a filter changes the figures
    page.select_option("select[name=severity]", "SEV1")
    page.click(".kpi-filters button[type=submit]")
    page.wait_for_url("**/dashboard/?*severity=SEV1*")
    expect(page.locator('[data-kpi="created"] .kpi-value')).to_have_text("2")

    # a click on a bar opens the tickets behind it: the SEV1 backlog under a day old
    expect(page.locator("#chart-backlog canvas")).to_have_attribute("data-drawn", "true")
    _bar_click(page, "backlog", 0, 0)
    expect(page).to_have_url(re.compile(r"/dashboard/tickets/\?set=open&band=lt1d&.*severity=SEV1"))
    expect(page.locator("h1")).to_have_text("Open at the end of the period")
    rows = page.locator("table.tickets tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Disk full 0")
