"""An agent works AWS findings from the ticket page, the AWS sandbox playing AWS: a Security Hub finding resolved
and marked resolved there, and a Trusted Advisor finding accepted as a risk."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from awsgateway import securityhub
from integrations.findings import services as findings_services
from integrations.models import SecurityFinding
from integrations.security import services, tasks
from tickets.models import Ticket

from ..factories import UserFactory
from ..integrations.cases_fakes import case_account, live_sandbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def aws(settings, monkeypatch):
    with live_sandbox(settings, monkeypatch) as server:
        yield server


@pytest.fixture
def agent_page(browser, live_server, sign_in):
    def _page(account):
        agent = UserFactory(role=Role.AGENT, first_name="Alex", last_name="Moreno")
        account.owner_queue.members.add(agent)
        page = browser.new_context().new_page()
        sign_in(page, agent.email)
        return page

    return _page


def test_resolving_a_security_hub_ticket_marks_the_finding_resolved_in_security_hub(
    live_server, aws, agent_page, monkeypatch, tmp_path
):
    # given: the production account polls Security Hub and writes back; the worker runs at once
    account = case_account(security_hub_enabled=True, security_hub_write_back=True)
    monkeypatch.setattr(
        tasks.security_finding_write_back_task,
        "delay",
        lambda finding_id: services.security_finding_write_back(finding_id=finding_id),
    )
    services.security_hub_poll(account=account)
    ticket = Ticket.objects.get(security_finding__isnull=False)
    alex = agent_page(account)

    # when: the agent opens the ticket, reads the finding in its AWS panel and resolves it
    alex.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    panel = alex.locator(".security-finding")
    expect(panel).to_contain_text("Security Hub finding")
    expect(panel).to_contain_text("CRITICAL")
    expect(panel).to_contain_text("NEW · ACTIVE · compliance FAILED")
    alex.screenshot(path=str(tmp_path / "security-hub-panel.png"), full_page=True)
    alex.click("summary.action-resolve")
    alex.fill("#note-resolve", "Port 22 closed to the world.")
    alex.click(".note-action button:has-text('Resolve')")
    expect(alex.locator(".ticket-head .status")).to_have_text("Resolved")

    # then: Security Hub has it resolved, with who did it, and the timeline says so
    alex.reload()
    expect(alex.locator(".timeline")).to_contain_text("Marked the finding RESOLVED in Security Hub.")
    expect(alex.locator(".security-finding")).to_contain_text("RESOLVED · ACTIVE")
    access = services.account_access(account)
    assert list(securityhub.findings(access, None, since=None)) == []  # no longer live in Security Hub
    assert SecurityFinding.objects.get(ticket=ticket).write_back_due_at is None


def test_an_agent_accepts_a_trusted_advisor_finding_as_a_risk(live_server, aws, agent_page, tmp_path):
    # given: the open-ports check flags a production security group (read through the newer API)
    account = case_account()
    findings_services.trusted_advisor_poll(account=account)
    ticket = Ticket.objects.get(title__contains="Security Groups - Specific Ports Unrestricted")
    alex = agent_page(account)

    # when: the agent accepts it as a risk from the AWS panel, giving the reason
    alex.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    alex.click("summary:has-text('Accept as a risk')")
    alex.screenshot(path=str(tmp_path / "accept-risk.png"), full_page=True)
    alex.fill("#accept-risk-note", "Bastion host: SSH open on purpose, behind MFA.")
    alex.click("button:has-text('Accept the risk and exclude in Trusted Advisor')")

    # then: resolved with the reason, and Trusted Advisor no longer flags it
    expect(alex.locator(".flash-success")).to_contain_text("resolved as an accepted risk")
    expect(alex.locator(".ticket-head .status")).to_have_text("Resolved")
    expect(alex.locator(".timeline")).to_contain_text("Bastion host: SSH open on purpose")
    findings_services.trusted_advisor_poll(account=account)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
