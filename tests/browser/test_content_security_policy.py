"""Under the Content-Security-Policy every page still works and the browser reports no violation: htmx, Chart.js,
swagger-ui and the Django admin included."""

import pytest
from django_celery_beat.models import CrontabSchedule
from playwright.sync_api import expect

from accounts.roles import Role

from ..factories import QueueFactory, TicketFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_pages_work_without_a_single_csp_violation(browser, live_server, sign_in):
    admin = UserFactory(role=Role.ADMIN)
    ticket = TicketFactory(queue=QueueFactory(members=[admin]), title="VPN drops")
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, admin.email)

    page.goto(f"{live_server.url}/tickets/")
    page.fill("#id_q", "VPN")  # htmx: the list reloads as one types
    expect(page.locator("#results")).to_contain_text(ticket.reference)
    page.goto(f"{live_server.url}{ticket.get_absolute_url()}")
    expect(page.locator("h1")).to_contain_text("VPN drops")
    for path in ["/dashboard/", "/trends/", "/finance/"]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")  # the panels htmx loads, too
        assert page.evaluate("typeof Chart") == "function"  # Chart.js ran
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Supportdesk API")
    page.goto(f"{live_server.url}/admin/accounts/user/{admin.pk}/change/")
    expect(page.locator("#content h1")).to_be_visible()
    page.goto(f"{live_server.url}/admin/tickets/ticket/")
    daily = CrontabSchedule.objects.create(minute="0", hour="4")
    page.goto(f"{live_server.url}/admin/django_celery_beat/periodictask/add/")  # its crontab help, from a file
    page.select_option("#id_crontab", value=str(daily.pk))
    expect(page.locator(".field-crontab .help")).to_contain_text("Translation:")
    page.goto(f"{live_server.url}/profile/")
    page.click("button:has-text('Make a token')")
    expect(page.locator("#api-token")).to_be_visible()

    assert violations == []


def test_pages_that_show_secrets_are_not_kept_in_the_browsers_history_cache(browser, live_server, sign_in):
    # given: a fresh API token on the profile page (sent no-store)
    agent = UserFactory(role=Role.AGENT)
    page = browser.new_context().new_page()
    sign_in(page, agent.email)
    page.goto(f"{live_server.url}/profile/")
    page.click("button:has-text('Make a token')")
    token = page.locator("#api-token").inner_text()
    # when: the person moves on through the sidebar (htmx navigation snapshots the page it leaves)
    page.click("nav >> text=Tickets")
    page.wait_for_load_state("networkidle")
    # then: no copy of the page, and so of the token, stays in the tab's storage
    assert token not in page.evaluate("JSON.stringify(sessionStorage) + JSON.stringify(localStorage)")
