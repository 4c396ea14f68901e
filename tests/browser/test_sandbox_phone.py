"""The sandbox's phone page in chromium: a page arriving shows up by itself, its link is tapped, it fits 390 px."""

import pytest
from playwright.sync_api import expect

from tools.sandbox.scenario import Clock, demo

from ..sandbox.helpers import EPOCH, Live

pytestmark = pytest.mark.browser

PAGER = "+12025550123"
ARN = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/checkout-production-alb/0123456789abcdef"


@pytest.fixture
def live():
    server = Live(demo(Clock(EPOCH, 30)))
    yield server
    server.close()


def test_a_page_arrives_on_the_open_phone_and_its_link_is_tapped(browser, live):
    sms = live.client("pinpoint-sms-voice-v2")
    sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="<b>earlier</b> page")
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.goto(f"{live.url}/phone/")
    expect(page.locator(".message")).to_have_count(1)
    expect(page.locator(".message .text")).to_have_text("<b>earlier</b> page")

    # when: the portal pages while the phone is open
    link = f"{live.url}/phone/?to=%2B12025550123&ack=one-tap"
    sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody=f"SEV1 {ARN} down. Acknowledge: {link}")

    # then: it appears on top without anyone reloading, the page still fits the phone, and the link works
    expect(page.locator(".message")).to_have_count(2, timeout=10_000)
    expect(page.locator(".message").first).to_contain_text("SEV1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(".message").first.get_by_role("link").click()
    page.wait_for_url(link)
    expect(page.locator("h2")).to_have_text(PAGER)
    assert problems == []  # no CSP violation, no failed asset


def test_opting_out_from_the_phone(browser, live):
    live.client("pinpoint-sms-voice-v2").send_text_message(DestinationPhoneNumber=PAGER, MessageBody="SEV2")
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{live.url}/phone/")
    page.get_by_role("button", name="Opt out (reply STOP)").click()
    expect(page.locator(".opted-out")).to_contain_text("Opted out (replied STOP)")
    page.get_by_label("Text messages").fill("1")
    page.get_by_label("Text messages").press("Enter")
    expect(page.locator("form.spend.reached label")).to_contain_text("reached")
