"""Answers, action items and completion, through the services."""

import pytest

from readiness import services
from readiness.models import Review
from tickets import services as ticket_services
from tickets.exceptions import InvalidChoice, NotAllowed
from tickets.models import Ticket

from ..factories import QueueFactory, TicketFactory, UserFactory, severity
from .conftest import act, rate_all

pytestmark = pytest.mark.django_db


def add_action(review, actor, owner=None, title="Turn on Multi-AZ for the payments database"):
    return services.action_add(
        review=review,
        actor=actor,
        title=title,
        severity=severity("SEV3"),
        description="Found in the quarterly review.",
        owner=owner,
    )


def test_the_first_answer_puts_the_review_in_progress(review, agent):
    answer = review.answers.first()
    services.answer_save(answer=answer, actor=agent, answer_text=" Runbook in the wiki. ", risk="low", notes="")
    answer.refresh_from_db()
    review.refresh_from_db()
    assert (answer.answer, answer.risk, answer.answered_by) == ("Runbook in the wiki.", "low", agent)
    assert review.status == Review.Status.IN_PROGRESS


def test_an_agent_of_another_queue_may_not_answer(review):
    outsider = UserFactory(role="agent")
    QueueFactory(members=[outsider])
    with pytest.raises(NotAllowed):
        services.answer_save(answer=review.answers.first(), actor=outsider, answer_text="x", risk="", notes="")


def test_an_action_item_becomes_a_readiness_ticket_in_the_workload_queue(review, manager, agent, queue):
    # when
    action = add_action(review, manager, owner=agent)
    # then
    ticket = Ticket.objects.get(pk=action.ticket_id)
    assert ticket.kind == Ticket.Kind.READINESS_ACTION
    assert (ticket.queue, ticket.assignee, ticket.requester, ticket.severity.name) == (queue, agent, manager, "SEV3")
    assert ticket.environment == "production"
    assert f"/reviews/{review.pk}/" in ticket.description
    assert action.review == review
    assert ticket.events.filter(kind="created").exists()  # made through the service, with its timeline


def test_an_action_owner_must_work_the_queue(review, manager):
    with pytest.raises(InvalidChoice):
        add_action(review, manager, owner=UserFactory(role="agent"))
    assert not Ticket.objects.exists()  # the whole action item rolled back


def test_agents_may_not_add_action_items(review, agent):
    with pytest.raises(NotAllowed):
        add_action(review, agent)


def test_submit_needs_every_question_rated(review, manager):
    services.answer_save(answer=review.answers.first(), actor=manager, answer_text="", risk="high", notes="")
    with pytest.raises(services.ReviewRefused, match="still unrated"):
        services.review_submit(review=review, actor=manager)
    review.refresh_from_db()
    assert review.status == Review.Status.IN_PROGRESS


def test_a_review_without_action_items_completes_on_submit(review, manager):
    rate_all(review, manager)
    review = services.review_submit(review=review, actor=manager)
    assert review.status == Review.Status.COMPLETED
    assert review.completed_at is not None


def test_agents_may_not_submit(review, agent):
    rate_all(review, agent)
    with pytest.raises(NotAllowed):
        services.review_submit(review=review, actor=agent)


def test_submitted_answers_are_locked(review, manager):
    rate_all(review, manager)
    services.review_submit(review=review, actor=manager)
    with pytest.raises(services.ReviewRefused, match="submitted"):
        services.answer_save(answer=review.answers.first(), actor=manager, answer_text="late", risk="low", notes="")


def test_the_review_completes_when_its_last_action_ticket_is_resolved_or_closed(review, manager, agent):
    # given: submitted with two open action items
    first, second = add_action(review, manager, agent), add_action(review, manager, agent, title="Test a restore")
    rate_all(review, manager, risk="high")
    assert services.review_submit(review=review, actor=manager).status == Review.Status.AWAITING_ACTIONS
    # when: one is resolved
    act(first.ticket, "resolve", agent)
    review.refresh_from_db()
    assert review.status == Review.Status.AWAITING_ACTIONS
    # and the other closed
    act(second.ticket, "close", agent)
    review.refresh_from_db()
    # then
    assert review.status == Review.Status.COMPLETED


def test_an_action_closed_before_submit_lets_the_review_complete_on_submit(review, manager, agent):
    action = add_action(review, manager, agent)
    act(action.ticket, "resolve", agent)
    rate_all(review, manager)
    assert services.review_submit(review=review, actor=manager).status == Review.Status.COMPLETED


def test_completion_is_idempotent_and_a_reopened_action_leaves_a_completed_review_alone(review, manager, agent):
    action = add_action(review, manager, agent)
    rate_all(review, manager)
    services.review_submit(review=review, actor=manager)
    act(action.ticket, "resolve", agent)
    completed_at = Review.objects.get().completed_at
    # when: the receiver's work runs again, and the ticket is reopened and closed
    assert services.review_complete_if_done(review_id=review.pk) is False
    act(action.ticket, "reopen", agent, "Not quite.")
    act(action.ticket, "resolve", agent)
    # then
    review.refresh_from_db()
    assert (review.status, review.completed_at) == (Review.Status.COMPLETED, completed_at)


def test_a_completed_review_takes_no_more_action_items(review, manager):
    rate_all(review, manager)
    services.review_submit(review=review, actor=manager)
    with pytest.raises(services.ReviewRefused, match="complete"):
        add_action(review, manager)


def test_other_tickets_closing_leave_reviews_alone(review, manager, agent, queue):
    add_action(review, manager, agent)
    rate_all(review, manager)
    services.review_submit(review=review, actor=manager)
    act(TicketFactory(queue=queue), "resolve", agent)
    review.refresh_from_db()
    assert review.status == Review.Status.AWAITING_ACTIONS


def test_an_action_ticket_changed_to_another_kind_still_completes_its_review(review, manager, agent):
    action = add_action(review, manager, agent)
    rate_all(review, manager)
    services.review_submit(review=review, actor=manager)
    ticket_services.ticket_update(ticket=action.ticket, actor=agent, kind=Ticket.Kind.SERVICE_REQUEST)
    act(action.ticket, "resolve", agent)
    review.refresh_from_db()
    assert review.status == Review.Status.COMPLETED


def test_the_daily_sweep_completes_a_review_whose_last_action_ticket_was_deleted(review, manager, agent):
    # given: awaiting one action, whose ticket is then deleted (retention, or by hand in the database)
    action = add_action(review, manager, agent)
    rate_all(review, manager)
    services.review_submit(review=review, actor=manager)
    Ticket.objects.filter(pk=action.ticket_id).delete()
    # when
    completed = services.reviews_complete_sweep()
    # then
    review.refresh_from_db()
    assert (completed, review.status) == (1, Review.Status.COMPLETED)
    assert services.reviews_complete_sweep() == 0
