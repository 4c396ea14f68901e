"""A SEV1 or SEV2 incident resolved opens one post-incident review, with its public timeline copied in."""

import pytest
from django.db import transaction

from notifications.models import Notification
from readiness import services
from readiness.models import Review, ReviewTemplate
from tickets.models import Ticket

from ..tickets.helpers import comment
from .conftest import act, incident

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("post_incident_now")]


def resolve(ticket, agent, capture, note="Rolled back the deploy."):
    with capture(execute=True):
        return act(ticket, "resolve", agent, note)


@pytest.mark.parametrize("sev", ["SEV1", "SEV2"])
def test_resolving_a_major_incident_opens_one_review_with_its_timeline(
    sev, queue, agent, django_capture_on_commit_callbacks
):
    # given: an incident with a public comment and an internal note
    ticket = incident(queue, sev)
    comment(ticket, agent, "Looking at the load balancer.")
    comment(ticket, agent, "Internal: suspect the 14:02 deploy.", internal=True)
    # when
    resolve(ticket, agent, django_capture_on_commit_callbacks)
    # then
    review = Review.objects.get(incident=ticket)
    assert review.template == ReviewTemplate.objects.get(for_post_incident=True)
    assert review.title == f"Post-incident review · {ticket.reference} Checkout returns 502"
    assert (review.queue, review.environment, review.aws_account_id) == (queue, "production", "111122223333")
    whats = [row["what"] for row in review.timeline]
    assert whats[0] == f"Filed as {sev} in {queue.name}"
    assert "Commented: Looking at the load balancer." in whats
    assert "Status New → Resolved: Rolled back the deploy." in whats
    assert not any("Internal" in what for what in whats)  # internal notes stay out
    assert {row["who"] for row in review.timeline} >= {agent.display_name}
    assert review.answers.count() == review.template.questions.count() > 0


def test_a_sev3_incident_opens_no_review(queue, agent, django_capture_on_commit_callbacks):
    resolve(incident(queue, "SEV3"), agent, django_capture_on_commit_callbacks)
    assert not Review.objects.exists()


def test_a_major_service_request_opens_no_review(queue, agent, django_capture_on_commit_callbacks):
    resolve(incident(queue, "SEV1", kind=Ticket.Kind.SERVICE_REQUEST), agent, django_capture_on_commit_callbacks)
    assert not Review.objects.exists()


def test_a_major_aws_health_event_counts_as_an_incident(queue, agent, django_capture_on_commit_callbacks):
    resolve(incident(queue, "SEV2", kind=Ticket.Kind.AWS_HEALTH), agent, django_capture_on_commit_callbacks)
    assert Review.objects.count() == 1


def test_resolved_reopened_and_resolved_again_keeps_the_one_review(queue, agent, django_capture_on_commit_callbacks):
    # given: resolved once, review opened
    ticket = incident(queue)
    resolve(ticket, agent, django_capture_on_commit_callbacks)
    first = Review.objects.get(incident=ticket)
    # when: reopened, resolved again, then closed
    with django_capture_on_commit_callbacks(execute=True):
        act(ticket, "reopen", agent, "It is back.")
    resolve(ticket, agent, django_capture_on_commit_callbacks, note="Fixed for real.")
    with django_capture_on_commit_callbacks(execute=True):
        act(ticket, "close", agent)
    # then: still the one review, its snapshot from the first resolution
    assert list(Review.objects.values_list("pk", flat=True)) == [first.pk]
    assert not any("Fixed for real" in row["what"] for row in Review.objects.get().timeline)


def test_closing_a_new_major_incident_outright_also_opens_the_review(queue, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        act(incident(queue), "close", agent)
    assert Review.objects.count() == 1


def test_a_resolution_rolled_back_opens_nothing(queue, agent, django_capture_on_commit_callbacks):
    ticket = incident(queue)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        act(ticket, "resolve", agent)
        raise RuntimeError("the request failed after the resolution")
    assert callbacks == []
    assert not Review.objects.exists()


def test_the_task_run_twice_or_late_opens_one_review(queue, agent, django_capture_on_commit_callbacks):
    # given: resolved (one review), then the message redelivered
    ticket = incident(queue)
    resolve(ticket, agent, django_capture_on_commit_callbacks)
    # when
    again = services.post_incident_review_open(ticket_id=ticket.pk)
    # then
    assert again is None
    assert Review.objects.count() == 1


def test_a_task_that_runs_after_a_reopen_waits_for_the_next_resolution(
    queue, agent, django_capture_on_commit_callbacks
):
    # given: resolved and at once reopened, before the worker ran
    ticket = incident(queue)
    act(ticket, "resolve", agent)
    act(ticket, "reopen", agent, "Not fixed.")
    # when: the worker runs
    assert services.post_incident_review_open(ticket_id=ticket.pk) is None
    # then: nothing yet; the next resolution opens it
    resolve(ticket, agent, django_capture_on_commit_callbacks)
    assert Review.objects.filter(incident=ticket).count() == 1


def test_the_daily_sweep_opens_a_review_a_lost_message_missed(queue, agent):
    # given: resolved, but the on-commit message never left (not captured: the broker was down)
    ticket = incident(queue)
    act(ticket, "resolve", agent)
    assert not Review.objects.exists()
    # when
    opened = services.post_incident_reviews_sweep()
    # then
    assert opened == 1
    assert Review.objects.get().incident == ticket
    assert services.post_incident_reviews_sweep() == 0


def test_without_a_post_incident_template_nothing_opens_and_nothing_fails(
    queue, agent, django_capture_on_commit_callbacks
):
    ReviewTemplate.objects.update(for_post_incident=False)
    resolve(incident(queue), agent, django_capture_on_commit_callbacks)
    assert not Review.objects.exists()


def test_whoever_held_the_incident_hears_that_its_review_is_open(queue, agent, django_capture_on_commit_callbacks):
    ticket = incident(queue)
    act(ticket, "acknowledge", agent)  # takes it
    resolve(ticket, agent, django_capture_on_commit_callbacks)
    review = Review.objects.get()
    mail = Notification.objects.get(key=f"readiness:opened:{review.pk}:user:{agent.pk}")
    assert mail.email == agent.email
    assert f"/reviews/{review.pk}/" in mail.body
