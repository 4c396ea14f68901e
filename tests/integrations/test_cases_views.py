"""Escalate to AWS in the pages and the API: who may, what the form offers, what the panel shows."""

import pytest
from django.contrib.messages import get_messages

from accounts.roles import Role
from integrations.models import SupportCase
from tickets.models import Watch

from ..factories import QueueFactory, UserFactory
from .cases_fakes import BILLING, BUSINESS_SEVERITIES, EC2, case_account, moto_support, production_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def aws(settings, monkeypatch):
    with moto_support(settings, monkeypatch):
        yield


@pytest.fixture
def ticket(queue):
    return production_ticket(case_account(), queue)


def _form_url(ticket) -> str:
    return f"/aws/tickets/{ticket.reference}/case/"


def _api_url(ticket) -> str:
    return f"/api/tickets/{ticket.reference}/aws-case/"


FORM = {
    "issue_type": "technical",
    "topic": f"{EC2.code}/instance-issue",
    "severity_code": "critical",
    "subject": "Checkout down",
    "body": "Every checkout fails.",
    "cc_emails": "oncall@example.com, sre@example.com",
}
API = {"service_code": EC2.code, "category_code": "instance-issue", "severity_code": "urgent", "body": "502s."}


def test_an_agent_gets_the_form_filled_in_from_the_ticket(client, agent, ticket):
    client.force_login(agent)
    response = client.get(_form_url(ticket))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'value="[{ticket.reference}] Checkout API returns 502"' in page
    assert "Since 09:00 every checkout fails." in page and "Environment: Production" in page
    assert "AWS account: 111122223333 (Payments production)" in page
    assert f"http://127.0.0.1:8000/tickets/{ticket.reference}/" in page
    assert '<optgroup label="Elastic Compute Cloud (EC2 - Linux)">' in page
    assert f'value="{EC2.code}/instance-issue"' in page
    assert '<option value="critical" selected>Business-critical system down</option>' in page  # SEV1: the worst


def test_the_severities_are_those_the_plan_offers(client, agent, queue):
    ticket = production_ticket(case_account(severities=BUSINESS_SEVERITIES), queue)
    client.force_login(agent)
    page = client.get(_form_url(ticket)).content.decode()
    assert '<option value="urgent" selected>Production system down</option>' in page
    assert 'value="critical"' not in page


def test_the_type_of_case_decides_the_services_offered(client, agent, ticket):
    client.force_login(agent)
    page = client.get(_form_url(ticket)).content.decode()
    assert '<option value="technical" selected>Technical</option>' in page
    assert '<option value="customer-service">Account and billing</option>' in page
    assert '<optgroup label="Elastic Compute Cloud (EC2 - Linux)">' in page and 'label="Billing"' not in page
    # when the type changes, htmx asks for the list of that type only
    swapped = client.get(
        _form_url(ticket), {"issue_type": "customer-service"}, headers={"HX-Request": "true", "HX-Target": "case-topic"}
    )
    part = swapped.content.decode()
    assert swapped.status_code == 200
    assert '<div id="case-topic">' in part and "<form" not in part
    assert '<optgroup label="Account">' in part and '<optgroup label="Billing">' in part
    assert "Elastic Compute Cloud" not in part


def test_an_account_and_billing_case_opens_as_one(client, agent, ticket):
    client.force_login(agent)
    topic = f"{BILLING.code}/other-billing-questions"
    response = client.post(_form_url(ticket), {**FORM, "issue_type": "customer-service", "topic": topic})
    assert response.status_code == 302
    case = SupportCase.objects.get(ticket=ticket)
    assert (case.issue_type, case.service_code, case.category_code) == (
        "customer-service",
        "billing",
        "other-billing-questions",
    )


def test_a_service_of_the_other_type_is_refused_by_the_server(client, agent, ticket):
    client.force_login(agent)
    response = client.post(_form_url(ticket), {**FORM, "issue_type": "customer-service"})  # an EC2 topic
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not SupportCase.objects.exists()


def test_an_agent_escalates_and_sees_the_case_id(client, agent, ticket):
    client.force_login(agent)
    response = client.post(_form_url(ticket), FORM)
    case = SupportCase.objects.get(ticket=ticket)
    assert response.status_code == 302 and response.url == f"/tickets/{ticket.reference}/"
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == f"AWS Support case foo_display_id opened for {ticket.reference} (case id {case.case_id})."
    assert (case.service_code, case.category_code, case.severity_code) == (EC2.code, "instance-issue", "critical")
    assert case.cc == ["oncall@example.com", "sre@example.com"]
    assert case.subject == f"[{ticket.reference}] Checkout down"


def test_bad_input_is_shown_next_to_its_field(client, agent, ticket):
    client.force_login(agent)
    cc = ", ".join(f"p{n}@example.com" for n in range(11))
    response = client.post(_form_url(ticket), {**FORM, "cc_emails": cc})
    assert response.status_code == 400
    assert "AWS takes at most 10 cc addresses." in response.content.decode()
    assert not SupportCase.objects.exists()


def test_a_second_escalation_is_told_the_case_id(client, agent, ticket):
    client.force_login(agent)
    client.post(_form_url(ticket), FORM)
    page = client.get(_form_url(ticket)).content.decode()
    assert f"A case is already open for {ticket.reference}: foo_display_id." in page
    assert client.post(_form_url(ticket), FORM).status_code == 400
    assert SupportCase.objects.count() == 1


def test_a_basic_plan_is_explained_not_offered(client, agent, queue):
    ticket = production_ticket(case_account(severities=[]), queue)
    client.force_login(agent)
    page = client.get(_form_url(ticket)).content.decode()
    assert "Basic and Developer plans have no Support API" in page and "<form class" not in page
    assert "on Basic, account and billing cases only; technical cases need Developer or higher" in page
    assert "Escalate to AWS</a>" not in client.get(f"/aws/tickets/{ticket.reference}/").content.decode()


@pytest.mark.parametrize(
    ("who", "get", "post"),
    [
        ("requester", 404, 404),  # their own ticket: the AWS side is not theirs
        ("manager", 403, 403),  # reads everything, changes nothing
        ("agent of another queue", 404, 404),  # does not see the ticket
        ("agent of another queue, watching", 403, 403),  # sees it, does not work it
    ],
)
def test_only_agents_of_the_ticket_s_queue_may_escalate(client, ticket, who, get, post):
    person = (
        ticket.requester if who == "requester" else UserFactory(role=Role.MANAGER if who == "manager" else Role.AGENT)
    )
    if who.startswith("agent"):
        QueueFactory(members=[person])
    if who.endswith("watching"):
        Watch.objects.create(ticket=ticket, user=person)
    client.force_login(person)
    assert client.get(_form_url(ticket)).status_code == get
    assert client.post(_form_url(ticket), FORM).status_code == post
    assert client.post(_api_url(ticket), API, content_type="application/json").status_code == post
    assert not SupportCase.objects.exists()
    panel = client.get(f"/aws/tickets/{ticket.reference}/")
    assert "Escalate to AWS" not in panel.content.decode()


def test_the_panel_offers_escalation_then_shows_the_case(client, agent, ticket, django_assert_max_num_queries):
    client.force_login(agent)
    panel = client.get(f"/aws/tickets/{ticket.reference}/").content.decode()
    assert f'href="/aws/tickets/{ticket.reference}/case/">Escalate to AWS</a>' in panel
    client.post(_form_url(ticket), FORM)
    SupportCase.objects.filter(ticket=ticket).update(note="Opened as “Production system down”, not critical.")
    with django_assert_max_num_queries(10):
        page = client.get(f"/aws/tickets/{ticket.reference}/").content.decode()
    case = SupportCase.objects.get()
    assert "<strong>foo_display_id</strong>" in page and case.case_id in page
    assert "Business-critical system down" in page and "Opened as “Production system down”, not critical." in page
    assert "Escalate to AWS" not in page


# The API


def test_the_api_opens_the_case_and_reads_it(client, agent, manager, ticket):
    client.force_login(agent)
    response = client.post(
        _api_url(ticket), {**API, "cc_emails": ["oncall@example.com"]}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "open" and body["severity"] == "Production system down"
    assert body["subject"] == f"[{ticket.reference}] Checkout API returns 502"  # the ticket's title by default
    client.force_login(manager)
    assert client.get(_api_url(ticket)).json()["case_id"] == body["case_id"]


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"body": "502s."}, {"service_code", "category_code", "severity_code"}),
        ({**API, "severity_code": "critical"}, {"severity_code"}),
        ({**API, "cc_emails": ["not an address"]}, {"cc_emails"}),
        ({**API, "category_code": "billing"}, {"category_code"}),
        ({**API, "issue_type": "customer-service"}, {"service_code"}),  # EC2 is a technical service
        ({**API, "issue_type": "billing"}, {"issue_type"}),
    ],
)
def test_the_api_says_which_field_is_wrong(client, agent, queue, payload, errors):
    ticket = production_ticket(case_account(severities=BUSINESS_SEVERITIES), queue)
    client.force_login(agent)
    response = client.post(_api_url(ticket), payload, content_type="application/json")
    assert response.status_code == 400 and set(response.json()) == errors


def test_the_api_opens_an_account_and_billing_case(client, agent, ticket):
    client.force_login(agent)
    payload = {**API, "issue_type": "customer-service", "service_code": "billing"}
    payload["category_code"] = "other-billing-questions"
    response = client.post(_api_url(ticket), payload, content_type="application/json")
    assert response.status_code == 201, response.content
    assert (response.json()["issue_type"], response.json()["origin"]) == ("customer-service", "supportdesk")


def test_the_api_refuses_a_second_case_and_has_none_to_show_before(client, agent, ticket):
    client.force_login(agent)
    assert client.get(_api_url(ticket)).status_code == 404
    client.post(_api_url(ticket), API, content_type="application/json")
    second = client.post(_api_url(ticket), API, content_type="application/json")
    assert second.status_code == 400 and "A case is already open" in second.json()["detail"]
