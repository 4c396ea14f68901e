"""A manager opens an alarm's incident and sees the alarm on the AWS panel, with its console link."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from awsgateway.cloudwatch import alarm_message
from integrations.alarms.services import alarm_change_apply
from tickets.models import Ticket

from ..factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SAMPLE = Path(__file__).parent.parent / "integrations" / "samples" / "cloudwatch_alarm_metric.json"


def test_the_alarm_shows_on_its_tickets_page(browser, live_server, sign_in, prod_account, tmp_path):
    alarm_change_apply(account=prod_account, change=alarm_message(json.loads(SAMPLE.read_text())))
    ticket = Ticket.objects.get()
    manager = UserFactory(role=Role.MANAGER)
    page = browser.new_context().new_page()
    sign_in(page, manager.email)

    page.goto(f"{live_server.url}/tickets/{ticket.reference}/")

    panel = page.locator(".aws-alarm")
    expect(panel).to_contain_text("CloudWatch alarm")
    expect(panel).to_contain_text("AWS/ApplicationELB · HTTPCode_Target_5XX_Count")
    expect(panel).to_contain_text("Sum ≥ 10")
    expect(panel).to_contain_text("Threshold Crossed")
    link = panel.locator("a", has_text="prod-api-5xx-high")
    expect(link).to_have_attribute(
        "href",
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/prod-api-5xx-high",
    )
    panel.screenshot(path=tmp_path / "alarm-panel.png")
