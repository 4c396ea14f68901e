"""The review pages: who sees what, htmx saves, malformed input, and a constant number of queries."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from readiness import selectors, services
from readiness.models import Review, ReviewAction
from tickets import services as ticket_services
from tickets.models import Ticket

from ..factories import QueueFactory, UserFactory, severity
from .conftest import TODAY, rate_all

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def answer_url(review, answer=None) -> str:
    answer = answer or review.answers.first()
    return f"/reviews/{review.pk}/answers/{answer.pk}/"


# Who sees what


@pytest.mark.parametrize(
    "path", ["/reviews/", "/reviews/{pk}/", "/reviews/{pk}/summary/", "/readiness/panel/", "/reviews/new/"]
)
def test_requesters_never_see_reviews(client, requester, review, path):
    client.force_login(requester)
    assert client.get(path.format(pk=review.pk)).status_code == 404


def test_requesters_cannot_post_answers_either(client, requester, review):
    client.force_login(requester)
    response = client.post(answer_url(review), {"answer": "x", "risk": "low"})
    assert response.status_code == 404


def test_an_agent_sees_and_answers_the_reviews_of_their_queue_only(client, agent, review, quarterly, manager):
    # given: a review of another queue's workload
    other = services.review_create(
        actor=manager,
        template=quarterly,
        due_on=TODAY,
        workload=review.workload.__class__.objects.create(name="HR portal", owner_queue=QueueFactory()),
    )
    client.force_login(agent)
    # then
    listed = client.get("/reviews/").content.decode()
    assert review.title in listed and "HR portal" not in listed
    assert client.get(f"/reviews/{other.pk}/").status_code == 404
    assert client.post(answer_url(other), {"answer": "x", "risk": "low"}).status_code == 404
    response = client.post(answer_url(review), {"answer": "We have one.", "risk": "medium", "notes": ""}, **HTMX)
    assert response.status_code == 200
    assert "Saved" in response.content.decode()


@pytest.mark.parametrize("path", ["/reviews/{pk}/", "/reviews/{pk}/summary/"])
def test_an_action_moved_to_a_queue_the_agent_does_not_work_keeps_its_title_hidden(
    client, manager, agent, review, other_queue, path
):
    # given: two action items of the agent's queue's review; one is then moved to a queue the agent does not work
    services.action_add(review=review, actor=manager, title="Rotate the database password", severity=severity("SEV3"))
    moved = services.action_add(review=review, actor=manager, title="Secret plan for HR", severity=severity("SEV3"))
    ticket_services.ticket_update(ticket=moved.ticket, actor=None, queue=other_queue)
    client.force_login(agent)
    # when
    page = client.get(path.format(pk=review.pk)).content.decode()
    # then: the review still lists both, the moved one by its reference alone
    assert "Rotate the database password" in page
    assert "Secret plan for HR" not in page
    assert moved.ticket.reference in page and "In a queue you do not work" in page
    client.force_login(manager)
    assert "Secret plan for HR" in client.get(path.format(pk=review.pk)).content.decode()


def test_an_agent_sees_no_submit_button_and_cannot_submit(client, agent, review):
    rate_all(review, agent)
    client.force_login(agent)
    assert "Submit review" not in client.get(f"/reviews/{review.pk}/").content.decode()
    response = client.post(f"/reviews/{review.pk}/submit/")
    assert response.status_code == 302
    assert "Only managers" in flashes(response)[0]
    assert Review.objects.get().status == Review.Status.IN_PROGRESS


def test_an_agent_cannot_open_a_review(client, agent):
    client.force_login(agent)
    assert client.get("/reviews/new/").status_code == 403


def test_the_panel_is_for_dashboard_holders(client, agent, manager):
    client.force_login(agent)
    assert client.get("/readiness/panel/").status_code == 404
    client.force_login(manager)
    assert client.get("/readiness/panel/").status_code == 200


# Filling a review in


def test_an_htmx_save_returns_the_question_alone(client, manager, review):
    client.force_login(manager)
    response = client.post(
        answer_url(review), {"answer": "Runbook linked from alarms.", "risk": "high", "notes": "Owner: Sam"}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'class="risk risk-high"' in body
    assert 'id="review-status" hx-swap-oob="true">In progress<' in body  # the page's header follows
    answer = review.answers.first()
    assert (answer.answer, answer.risk, answer.notes) == ("Runbook linked from alarms.", "high", "Owner: Sam")


def test_a_plain_save_goes_back_to_the_question(client, manager, review):
    client.force_login(manager)
    answer = review.answers.first()
    response = client.post(answer_url(review, answer), {"answer": "Yes", "risk": "none"})
    assert response.status_code == 302
    assert response["Location"] == f"/reviews/{review.pk}/#answer-{answer.pk}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"risk": "catastrophic"}, "Select a valid choice"),
        ({"answer": "x" * 5001}, "at most 5000"),
        ({"notes": "y" * 5001}, "at most 5000"),
    ],
)
def test_malformed_answers_are_refused_with_the_reason(client, manager, review, data, message):
    client.force_login(manager)
    response = client.post(answer_url(review), data, **HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not review.answers.exclude(risk="").exists()


@pytest.mark.parametrize("path", ["/reviews/999999/", "/reviews/{pk}/answers/999999/", "/reviews/{pk}/answers/abc/"])
def test_unknown_reviews_and_questions_are_404(client, manager, review, path):
    client.force_login(manager)
    response = client.post(path.format(pk=review.pk), {"risk": "low"})
    assert response.status_code in (404, 405)


def test_an_action_item_added_on_the_page_becomes_a_ticket(client, manager, agent, review):
    client.force_login(manager)
    data = {"title": "Test a restore", "description": "", "severity": severity("SEV2").pk, "owner": agent.pk}
    response = client.post(f"/reviews/{review.pk}/actions/", data, **HTMX)
    body = response.content.decode()
    ticket = Ticket.objects.get(kind=Ticket.Kind.READINESS_ACTION)
    assert response.status_code == 200
    assert ticket.reference in body and "New" in body
    assert ReviewAction.objects.get().review == review


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "severity": "1"}, "This field is required"),
        ({"title": "x", "severity": "nine"}, "valid choice"),
        ({"title": "x", "severity": "1", "owner": "999999"}, "valid choice"),
        ({"title": "x" * 201, "severity": "1"}, "at most 200"),
    ],
)
def test_malformed_action_items_are_refused_with_the_reason(client, manager, review, data, message):
    client.force_login(manager)
    response = client.post(f"/reviews/{review.pk}/actions/", data, **HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Ticket.objects.exists()


def test_an_owner_outside_the_queue_is_refused_on_the_page(client, manager, review):
    outsider = UserFactory(role="admin")  # admins may work any ticket, but need not be in the queue list
    client.force_login(manager)
    data = {"title": "x", "severity": severity("SEV3").pk, "owner": outsider.pk}
    response = client.post(f"/reviews/{review.pk}/actions/", data)
    assert response.status_code in (200, 302, 400)
    assert response.status_code != 500


def test_submitting_an_unrated_review_says_what_is_missing(client, manager, review):
    client.force_login(manager)
    response = client.post(f"/reviews/{review.pk}/submit/")
    assert "Rate the risk of every question" in flashes(response)[0]


def test_submitting_a_rated_review_without_actions_completes_it(client, manager, review):
    rate_all(review, manager)
    client.force_login(manager)
    response = client.post(f"/reviews/{review.pk}/submit/", follow=True)
    assert "Completed" in response.content.decode()


def test_a_manager_opens_a_review_by_hand(client, manager, workload, quarterly):
    client.force_login(manager)
    due_on = timezone.localdate() + timedelta(days=60)
    response = client.post("/reviews/new/", {"template": quarterly.pk, "workload": workload.pk, "due_on": due_on})
    review = Review.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reviews/{review.pk}/"
    assert review.answers.count() == quarterly.questions.count()


@pytest.mark.parametrize("data", [{}, {"template": "x", "workload": "y", "due_on": "soon"}, {"due_on": "2026-02-30"}])
def test_a_malformed_new_review_is_explained(client, manager, data):
    client.force_login(manager)
    response = client.post("/reviews/new/", data)
    assert response.status_code == 400
    assert "form-error" in response.content.decode()
    assert not Review.objects.exists()


@pytest.mark.parametrize("due_on", ["1900-01-01", "2999-12-31"])
def test_a_due_date_no_review_could_have_is_refused(client, manager, workload, quarterly, due_on):
    client.force_login(manager)
    response = client.post("/reviews/new/", {"template": quarterly.pk, "workload": workload.pk, "due_on": due_on})
    assert response.status_code == 400
    assert "Pick a date between" in response.content.decode()
    assert not Review.objects.exists()


# The list


@pytest.mark.parametrize(
    "query",
    [
        "?page=abc",
        "?page=-1",
        "?page=99999",
        "?state=nonsense",
        "?workload=abc",
        "?workload=99999",
        "?origin=%00",
        "?mine=maybe&q=" + "z" * 300,
    ],
)
def test_forged_list_queries_never_fail(client, manager, review, query):
    client.force_login(manager)
    response = client.get(f"/reviews/{query}")
    assert response.status_code == 200


def test_the_list_filters_overdue_and_completed(client, manager, review, quarterly, workload):
    done = services.review_create(actor=manager, template=quarterly, workload=workload, due_on=TODAY)
    rate_all(done, manager)
    services.review_submit(review=done, actor=manager)
    client.force_login(manager)
    overdue = client.get("/reviews/?state=overdue").context["page"].object_list
    completed = client.get("/reviews/?state=completed").context["page"].object_list
    assert [r.pk for r in overdue] == [review.pk]  # TODAY is in the past for the test run
    assert [r.pk for r in completed] == [done.pk]


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_queries_whatever_the_rows(
    client, manager, agent, workload, quarterly, rows, django_assert_max_num_queries
):
    for n in range(rows):
        review = services.review_create(actor=manager, template=quarterly, workload=workload, due_on=TODAY)
        if n % 3 == 0:
            services.action_add(review=review, actor=manager, title="Fix", severity=severity("SEV4"), owner=agent)
    client.force_login(manager)
    with django_assert_max_num_queries(6):
        response = client.get("/reviews/")
    assert len(response.context["page"].object_list) == min(rows, 25)


@pytest.mark.parametrize("actions", [1, 12])
def test_the_review_page_costs_the_same_queries_whatever_its_actions(
    client, manager, agent, review, actions, django_assert_max_num_queries
):
    for _ in range(actions):
        services.action_add(review=review, actor=manager, title="Fix", severity=severity("SEV4"), owner=agent)
    rate_all(review, agent)
    client.force_login(manager)
    with django_assert_max_num_queries(10):
        response = client.get(f"/reviews/{review.pk}/")
    assert response.content.decode().count("/tickets/SD-") >= actions


def test_the_summary_counts_risks_by_pillar(client, manager, review):
    answers = list(review.answers.all())
    for answer, risk in zip(answers, ["high", "high", "medium"], strict=False):
        services.answer_save(answer=answer, actor=manager, answer_text="", risk=risk, notes="")
    rows = {row["pillar"]: row for row in selectors.review_risks_by_pillar(review=review)}
    ops = rows["operational_excellence"]
    assert (ops["high"], ops["medium"], ops["unrated"]) == (2, 1, 0)
    client.force_login(manager)
    body = client.get(f"/reviews/{review.pk}/summary/").content.decode()
    assert "Risks by pillar" in body and "data-print" in body


# KPIs and the dashboard panel


def test_readiness_counts(manager, agent, workload, quarterly, review):
    # given: one overdue review with an open action, one due soon, one elsewhere
    services.action_add(review=review, actor=manager, title="Fix", severity=severity("SEV4"), owner=agent)
    today = TODAY + timedelta(days=1)
    services.review_create(actor=manager, template=quarterly, workload=workload, due_on=today + timedelta(days=10))
    # then
    counts = selectors.readiness_counts(today=today)
    assert (counts["overdue_reviews"], counts["open_actions"], counts["due_soon_reviews"]) == (1, 1, 1)
    assert selectors.readiness_counts(environment="staging", today=today)["overdue_reviews"] == 0
    assert selectors.readiness_counts(account="111122223333", today=today)["open_actions"] == 0


def test_the_panel_is_a_fragment_with_the_figures(client, manager, review):
    client.force_login(manager)
    response = client.get("/readiness/panel/?environment=production&account=bad")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'data-kpi="overdue_reviews">1<' in body
    assert review.title in body


def test_a_manager_takes_ownership_of_an_unowned_review(client, manager, review):
    Review.objects.filter(pk=review.pk).update(owner=None)
    client.force_login(manager)
    assert "Take ownership" in client.get(f"/reviews/{review.pk}/").content.decode()
    response = client.post(f"/reviews/{review.pk}/take/")
    assert flashes(response) == ["You own this review now."]
    assert Review.objects.get().owner == manager


def test_an_agent_cannot_take_ownership(client, agent, review):
    client.force_login(agent)
    assert "Take ownership" not in client.get(f"/reviews/{review.pk}/").content.decode()
    response = client.post(f"/reviews/{review.pk}/take/")
    assert "Only managers" in flashes(response)[0]
    assert Review.objects.get().owner != agent


def test_the_panel_shows_only_reviews_its_reader_may_see(client, review):
    from django.contrib.auth.models import Permission

    from accounts.roles import Role, user_set_role

    stakeholder = UserFactory()
    user_set_role(user=stakeholder, role=Role.REQUESTER)
    stakeholder.user_permissions.add(Permission.objects.get(codename="view_dashboards"))
    client.force_login(stakeholder)

    body = client.get("/readiness/panel/").content.decode()

    assert review.title not in body and 'data-kpi="overdue_reviews">0<' in body
