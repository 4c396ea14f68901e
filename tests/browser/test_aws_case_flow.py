"""An agent escalates a production ticket to AWS from its page and sees the case id (the AWS sandbox plays AWS)."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from integrations.cases import services as case_services
from integrations.models import SupportCase
from tickets.models import Ticket

from ..factories import QueueFactory, UserFactory
from ..integrations.cases_fakes import case_account, live_sandbox, production_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def aws(settings, monkeypatch):
    with live_sandbox(settings, monkeypatch) as server:
        yield server


def test_agent_escalates_a_production_ticket_to_aws(browser, live_server, sign_in, aws):
    # given: a production ticket on the Enterprise account, in the agent's queue
    agent = UserFactory(role=Role.AGENT, first_name="Alex", last_name="Moreno")
    ticket = production_ticket(case_account(), QueueFactory(members=[agent]))
    alex = browser.new_context().new_page()
    sign_in(alex, agent.email)

    # when: the agent opens the ticket, presses Escalate to AWS and fills the form in
    alex.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    alex.click("a:has-text('Escalate to AWS')")
    expect(alex.locator("input[name=subject]")).to_have_value(f"[{ticket.reference}] Checkout API returns 502")
    alex.select_option("select[name=topic]", "amazon-elastic-compute-cloud-linux/instance-issue")
    alex.select_option("select[name=severity_code]", "urgent")
    alex.fill("input[name=cc_emails]", "oncall@example.com")
    alex.click("button:has-text('Open AWS Support case')")

    # then: back on the ticket, the message and the AWS panel show the case; the ticket waits on AWS
    expect(alex.locator(".flash-success")).to_contain_text(
        f"AWS Support case 17000000001 opened for {ticket.reference}"
    )
    case = SupportCase.objects.get(ticket_id=ticket.pk)
    expect(alex.locator(".flash-success")).to_contain_text(f"(case id {case.case_id})")
    expect(alex.locator(".aws-case")).to_contain_text("17000000001")
    expect(alex.locator(".aws-case")).to_contain_text("Production system down")
    expect(alex.locator(".ticket-head .status")).to_have_text("Waiting on AWS")
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.WAITING_AWS


def test_agent_opens_an_account_and_billing_case_and_sees_aws_s_own_case(browser, live_server, sign_in, aws, tmp_path):
    # given: a production ticket in the agent's queue, on the account where AWS opens a case at step 4
    agent = UserFactory(role=Role.AGENT, first_name="Alex", last_name="Moreno")
    queue = QueueFactory(members=[agent])
    account = case_account(owner_queue=queue)
    ticket = production_ticket(account, queue)
    alex = browser.new_context().new_page()
    sign_in(alex, agent.email)

    # when: the agent picks "Account and billing", the service list changes to that type's (htmx), and they open it
    alex.goto(f"{live_server.url}/aws/tickets/{ticket.reference}/case/")
    expect(alex.locator("select[name=topic] optgroup[label='Billing']")).to_have_count(0)
    alex.select_option("select[name=issue_type]", "customer-service")
    expect(alex.locator("select[name=topic] optgroup[label='Billing']")).to_have_count(1)
    expect(alex.locator("select[name=topic] optgroup[label*='Elastic Compute Cloud']")).to_have_count(0)
    alex.screenshot(path=str(tmp_path / "case-form-account-and-billing.png"), full_page=True)
    alex.select_option("select[name=topic]", "billing/other-billing-questions")
    alex.click("button:has-text('Open AWS Support case')")
    expect(alex.locator(".flash-success")).to_contain_text("AWS Support case 17000000001 opened")
    assert SupportCase.objects.get(ticket_id=ticket.pk).issue_type == "customer-service"

    # and when AWS opens its own case in the account, the sync files it and its ticket says who opened it
    aws.at_step(4)
    case_services.support_cases_sync(account=account)
    found = SupportCase.objects.exclude(ticket_id=ticket.pk).select_related("ticket").get()
    alex.goto(f"{live_server.url}/tickets/{found.ticket.reference}/")
    expect(alex.locator(".aws-case .case-origin-aws")).to_contain_text("Opened by AWS")
    expect(alex.locator(".aws-case")).to_contain_text("Account and billing")
    alex.screenshot(path=str(tmp_path / "ticket-opened-by-aws.png"), full_page=True)
