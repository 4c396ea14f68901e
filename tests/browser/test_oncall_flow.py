"""An engineer opens their queue's on-call page, asks a colleague to cover an evening, and sees the calendar say so;
the page fits a phone's width."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role

from ..factories import QueueFactory, UserFactory
from ..oncall.helpers import oncall_layer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_engineer_gets_an_evening_covered_from_the_on_call_page(browser, live_server, sign_in):
    # given: Ann and Bob take weekly turns on the primary layer of Payments, Ann's week first
    ann = UserFactory(role=Role.AGENT, first_name="Ann", last_name="Lee")
    bob = UserFactory(role=Role.AGENT, first_name="Bob", last_name="Ray")
    queue = QueueFactory(name="Payments", slug="payments", members=[ann, bob])
    today = timezone.localdate()
    oncall_layer(queue, "Primary", ann, bob, zone="UTC", start=today - timedelta(days=today.weekday()))
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(page, ann.email)

    # when: Ann opens the board, then her queue, and asks Bob to cover tomorrow evening
    page.goto(f"{live_server.url}/oncall/")
    expect(page.locator("table.oncall-board")).to_contain_text("Ann Lee")
    page.click("a:has-text('Payments')")
    tomorrow = today + timedelta(days=1)
    form = page.locator("form:has(button:has-text('Add the override'))")
    form.locator("select[name=user]").select_option(label="Bob Ray")
    form.locator("input[name=starts_at]").fill(f"{tomorrow:%Y-%m-%d}T18:00")
    form.locator("input[name=ends_at]").fill(f"{tomorrow:%Y-%m-%d}T23:00")
    form.locator("button").click()

    # then: the page says so, and tomorrow's row in the calendar has Bob covering from 18:00
    expect(page.locator(".flash-success")).to_contain_text("Bob Ray covers Primary")
    expect(page.locator(".cal-list")).to_contain_text(re.compile(r"18:00\W23:00\s+Bob Ray \(covering\)"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
