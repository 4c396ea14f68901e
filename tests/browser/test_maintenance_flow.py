"""A manager adds a maintenance window in the browser, after a validation error, and finds it on the calendar."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from integrations.models import AwsAccount, MaintenanceWindow

from ..factories import QueueFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_manager_adds_a_window_and_sees_it_on_the_calendar(browser, live_server, sign_in):
    manager = UserFactory(role=Role.MANAGER, first_name="Mina", last_name="Okafor")
    account = AwsAccount.objects.create(account_id="111122223333", name="Payments prod", owner_queue=QueueFactory())
    start = timezone.localtime() + timedelta(days=1)
    mina = browser.new_context().new_page()
    sign_in(mina, manager.email)

    # given: the maintenance page, from the nav
    mina.click("nav >> text=Maintenance")
    expect(mina.locator("h1")).to_have_text("Maintenance windows")
    mina.click("text=Add a window")

    # when: she gets the end wrong, then right
    mina.fill("input[name=title]", "Aurora minor version upgrade")
    mina.fill("input[name=starts_at]", f"{start:%Y-%m-%dT10:00}")
    mina.fill("input[name=ends_at]", f"{start:%Y-%m-%dT09:00}")
    mina.select_option("select[name=account]", label=str(account))
    mina.fill("input[name=service]", "RDS")
    mina.fill("input[name=region]", "eu-west-1")
    mina.click("button:has-text('Save window')")
    expect(mina.get_by_text("The window must end after it starts.")).to_be_visible()
    mina.fill("input[name=ends_at]", f"{start:%Y-%m-%dT12:30}")
    mina.fill("textarea[name=resources]", "arn:aws:rds:eu-west-1:111122223333:cluster:payments")
    mina.click("button:has-text('Save window')")

    # then: the calendar of that month shows it on its day, and the list links to the account
    expect(mina.locator(".flash-success")).to_contain_text("Maintenance window “Aurora minor version upgrade” added.")
    day = mina.locator(f"td.cal-day[data-date='{start:%Y-%m-%d}']")
    expect(day.locator(".pill-manual")).to_have_text("Aurora minor version upgrade")
    row = mina.locator("table.maintenance-windows tbody tr").first
    expect(row).to_contain_text("By hand, Mina Okafor")
    expect(row.locator(f"a[href='/aws/accounts/{account.pk}/']")).to_be_visible()
    made = MaintenanceWindow.objects.get()
    assert (made.account, made.created_by, made.resources) == (
        account,
        manager,
        ["arn:aws:rds:eu-west-1:111122223333:cluster:payments"],
    )
    assert timezone.localtime(made.ends_at).strftime("%H:%M") == "12:30"
