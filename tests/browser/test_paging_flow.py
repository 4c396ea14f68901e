"""An engineer adds and verifies a number and a rule on My paging (htmx); later, paged on a 390 px phone, taps the
one-tap link, confirms, and the ticket shows it acknowledged from SMS."""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from notifications.models import Notification
from paging.models import ContactMethod
from paging.services import page_start

from ..factories import QueueFactory, TicketFactory, UserFactory, severity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PHONE = {"width": 390, "height": 844}


def test_an_engineer_verifies_a_number_then_acknowledges_a_page_from_the_phone(browser, live_server, sign_in, settings):
    settings.SITE_URL = live_server.url
    jo = UserFactory(role=Role.AGENT, first_name="Jo", last_name="Lind")
    ticket = TicketFactory(queue=QueueFactory(members=[jo]), severity=severity("SEV1"), title="Checkout returns 502")
    desk = browser.new_context().new_page()
    sign_in(desk, jo.email)

    # given: a number, typed wrong and then right, and its code
    desk.click("nav >> text=My paging")
    desk.fill("input[name=phone]", "07911 123456")
    desk.click("button:has-text('Text me a code')")
    expect(desk.get_by_text("international format: + and the country code first")).to_be_visible()
    desk.fill("input[name=phone]", "+44 7911 123456")
    desk.click("button:has-text('Text me a code')")
    expect(desk.get_by_text("Waiting for the code")).to_be_visible()
    code = re.search(r"code is (\d{6})", Notification.objects.get(sms_to="+447911123456").body).group(1)
    desk.fill("input[name=code]", code)
    desk.click("button:has-text('Verify')")
    expect(desk.get_by_text("Verified")).to_be_visible()
    assert ContactMethod.objects.get(user=jo).is_verified
    # and a rule: SMS at once for SEV1 and SEV2
    step = desk.locator("form:has(button:has-text('Add the step'))")
    step.locator("select[name=band]").select_option("urgent")
    step.locator("input[name=minutes]").fill("0")
    step.locator("select[name=medium]").select_option("sms")
    step.locator("button").click()
    expect(desk.locator(".paging-steps li").first).to_contain_text("SMS at once")

    # when: paged, Jo opens the link on the phone (not signed in there) and taps the button
    page_start(ticket=ticket, user=jo, reason="Escalated", key="browser:1")
    link = Notification.objects.get(ticket=ticket, sms_to="+447911123456").link
    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(link)
    expect(phone.locator("h1")).to_contain_text(ticket.reference)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    phone.click("button:has-text('Acknowledge as Jo Lind')")

    # then: the phone says so, the link is spent, and the ticket's timeline says from where
    expect(phone.get_by_role("status")).to_contain_text("Acknowledged")
    phone.goto(link)
    expect(phone.get_by_role("alert")).to_contain_text("This link was used already")
    desk.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    expect(desk.locator(".timeline")).to_contain_text("Acknowledged from SMS.")
