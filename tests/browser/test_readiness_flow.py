"""A manager fills a readiness review in: answers, rates the risks, raises an action item and submits; the review
completes when the agent resolves the action ticket."""

import importlib
import os
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from readiness import services
from readiness.models import Review, ReviewSchedule, ReviewTemplate, Workload
from tickets import services as ticket_services
from tickets.models import Ticket

from ..factories import QueueFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SCREENSHOTS = os.environ.get("READINESS_SCREENSHOTS")  # a folder: where to keep pictures of each step, when set


def _snap(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


@pytest.fixture
def scheduled_review(manager_and_agent):
    manager, agent = manager_and_agent
    importlib.import_module("readiness.migrations.0002_seed_templates").seed(apps, None)  # a flush may have gone
    template = ReviewTemplate.objects.create(name="Launch check", scope="A new production workload")
    template.questions.create(
        position=1,
        pillar="reliability",
        text="Does it survive the loss of one AZ?",
        guidance="Multi-AZ database, two tasks behind the load balancer.",
    )
    template.questions.create(position=2, pillar="security", text="Is access least-privilege?")
    three_days_ago = timezone.localdate() - timedelta(days=3)
    queue = QueueFactory(name="Payments", members=[agent])
    workload = Workload.objects.create(name="Payments API", owner_queue=queue, owner=manager)
    ReviewSchedule.objects.create(workload=workload, template=template, every_months=3, next_due_on=three_days_ago)
    services.reviews_open_due()  # what the daily task does
    return Review.objects.get(workload=workload)


@pytest.fixture
def manager_and_agent(db):
    return (
        UserFactory(role=Role.MANAGER, first_name="Morgan", last_name="Lee"),
        UserFactory(role=Role.AGENT, first_name="Alex", last_name="Moreno"),
    )


def test_manager_fills_a_review_raises_an_action_and_submits(
    browser, live_server, sign_in, manager_and_agent, scheduled_review
):
    manager, agent = manager_and_agent
    review = scheduled_review
    page = browser.new_context().new_page()
    sign_in(page, manager.email)

    # given: the review in the list, overdue
    page.click("nav >> text=Reviews")
    row = page.locator("table.reviews tr", has_text="Launch check · Payments API")
    expect(row).to_contain_text("Overdue")
    _snap(page, "1-list")
    row.locator("a").first.click()
    expect(page.locator("h1")).to_have_text("Launch check · Payments API")

    # when: the first question is answered and rated high, saved by htmx
    first = page.locator("article.answer").nth(0)
    first.locator("textarea[name=answer]").fill("Single-AZ database today.")
    first.locator("select[name=risk]").select_option("high")
    first.locator("button:has-text('Save')").click()
    expect(page.locator("article.answer").nth(0).locator(".saved")).to_have_text("Saved")
    expect(page.locator("article.answer").nth(0).locator(".risk-high")).to_have_text("High risk")
    expect(page.locator("#review-status")).to_have_text("In progress")
    second = page.locator("article.answer").nth(1)
    second.locator("select[name=risk]").select_option("low")
    second.locator("button:has-text('Save')").click()
    expect(page.locator("article.answer").nth(1).locator(".saved")).to_be_visible()

    # and an action item is raised for the agent
    page.click("summary:has-text('Add an action item')")
    page.fill("#actions input[name=title]", "Move the payments database to Multi-AZ")
    page.select_option("#actions select[name=severity]", label="SEV2 · High")
    page.select_option("#actions select[name=owner]", label="Alex Moreno")
    page.click("button:has-text('Raise action ticket')")
    actions = page.locator("#actions")
    expect(actions).to_contain_text("Move the payments database to Multi-AZ")
    action_ticket = Ticket.objects.get(kind=Ticket.Kind.READINESS_ACTION)
    expect(actions).to_contain_text(f"Raised {action_ticket.reference}")
    expect(actions.locator(".status")).to_have_text("New")
    _snap(page, "2-review")

    # and the review is submitted
    page.click("button:has-text('Submit review')")
    expect(page.locator(".flash-success")).to_contain_text("completes when its action items are closed")
    expect(page.locator("#review-status")).to_have_text("Awaiting actions")
    assert action_ticket.queue.name == "Payments" and action_ticket.assignee_id == agent.pk

    # then: the agent resolves the action ticket, and the review completes
    ticket_services.ticket_transition(ticket=action_ticket, actor=agent, action="resolve", note="Multi-AZ on.")
    page.reload()
    expect(page.locator("#review-status")).to_have_text("Completed")
    expect(page.locator("#actions .status")).to_have_text("Resolved")
    page.click("text=Summary and print")
    expect(page.locator(".risk-table")).to_contain_text("Reliability")
    _snap(page, "3-summary")
    assert Review.objects.get(pk=review.pk).status == Review.Status.COMPLETED
