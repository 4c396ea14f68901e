"""Phones: at 390 x 844 no page is wider than the screen, the menu and the filters fold away, text reads at 4.5:1."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tickets import services
from tickets.workflow import Action

from ..factories import QueueFactory, TicketFactory, UserFactory, severity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
ARN = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/"
    "payments-production-public-alb/50dc6c495c0c9188"
)
URL = (
    "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/"
    "$252Faws$252Flambda$252Fpayments-settlement-reconciliation"
)

CONTRAST = (Path(__file__).parent / "contrast.js").read_text()  # the ratio of an element's text to its background


def no_horizontal_scroll(page) -> None:
    page.wait_for_load_state("networkidle")
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url}: the page is {widths[0]} px wide on a {widths[1]} px screen"


def test_main_pages_fit_a_phone(browser, live_server, sign_in):
    manager = UserFactory(role=Role.MANAGER, first_name="Maria", last_name="Lopez")
    agent = UserFactory(role=Role.AGENT)
    queue = QueueFactory(name="Payments platform team", members=[agent, manager])
    ticket = TicketFactory(
        queue=queue,
        severity=severity("SEV2"),
        environment="production",
        aws_account_id="123456789012",
        title=f"5xx on {ARN}",
        description=f"The target group behind {ARN} reports unhealthy hosts since 09:12. Logs: {URL}",
        tags=["payments", "alb"],
    )
    services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)
    services.comment_add(ticket=ticket, author=agent, body=f"Looking at {URL}", is_internal=False, attachments=())
    for n in range(5):
        TicketFactory(queue=queue, title=f"Disk almost full on i-0123456789abcdef{n}", severity=severity("SEV3"))

    page = browser.new_context(viewport=PHONE).new_page()
    sign_in(page, manager.email)
    no_horizontal_scroll(page)

    # the list: the menu and the filters folded, the search at hand
    page.goto(f"{live_server.url}/tickets/")
    no_horizontal_scroll(page)
    expect(page.locator("#site-nav")).to_be_hidden()
    expect(page.locator("details.filters-fold")).not_to_have_attribute("open", "")
    expect(page.locator("#id_q")).to_be_visible()
    page.click("details.filters-fold > summary")
    expect(page.locator("select[name=status]")).to_be_visible()
    no_horizontal_scroll(page)
    page.click("[data-nav-toggle]")
    expect(page.locator("#site-nav")).to_be_visible()
    expect(page.locator("[data-nav-toggle]")).to_have_attribute("aria-expanded", "true")
    no_horizontal_scroll(page)

    # text contrast as rendered: the reference grey, the severity badge, statuses, secondary text
    for selector in [".col-title .ref", ".sev", ".status", ".meta"]:
        ratio = page.locator(selector).first.evaluate(CONTRAST)
        assert ratio >= 4.5, f"{selector} reads at {ratio:.2f}:1"

    # the ticket with a long ARN and a long URL
    page.goto(f"{live_server.url}{ticket.get_absolute_url()}")
    expect(page.locator(".ticket-head h1")).to_contain_text("payments-production-public-alb")
    no_horizontal_scroll(page)
    for selector in [".ticket-head .sev", ".details dt", ".ok"]:
        ratio = page.locator(selector).first.evaluate(CONTRAST)
        assert ratio >= 4.5, f"{selector} reads at {ratio:.2f}:1"

    for path in ["/dashboard/", "/oncall/", "/maintenance/", "/reviews/", "/profile/", "/aws/"]:
        page.goto(f"{live_server.url}{path}")
        no_horizontal_scroll(page)


def test_skip_link_and_focus_ring(browser, live_server, sign_in):
    agent = UserFactory(role=Role.AGENT)
    page = browser.new_page()
    sign_in(page, agent.email)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # the next control shows a ring in the focus colour
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] != "none" and outline[1] != "0px", outline
