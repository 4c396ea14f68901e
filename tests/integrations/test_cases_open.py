"""Opening AWS Support cases: by a person or a rule, within the plan, once per ticket, and found again after a crash."""

import threading
import time

import pytest
from django.db import connections
from moto.support.models import support_backends

from accounts.roles import Role
from awsgateway import support
from awsgateway.errors import AwsError, AwsThrottled, AwsUnavailable
from integrations.cases import services as cases
from integrations.cases.services.opening import support_case_recover
from integrations.models import CaseCommunication, SupportCase
from notifications.models import Notification
from tickets.exceptions import NotAllowed
from tickets.models import Ticket, TicketEvent
from tools.sandbox.scenario import PRODUCTION

from ..factories import QueueFactory, UserFactory
from .cases_fakes import BUSINESS_SEVERITIES, EC2, case_account, moto_support, production_ticket

State = SupportCase.State


@pytest.fixture
def aws(settings, monkeypatch):
    with moto_support(settings, monkeypatch):
        yield support_backends[PRODUCTION]["us-east-1"]  # moto's side: the cases AWS holds


def _open(ticket, actor, **changes):
    values = {
        "service_code": EC2.code,
        "category_code": "instance-issue",
        "severity_code": "urgent",
        "subject": f"[{ticket.reference}] {ticket.title}",
        "body": "Every checkout fails.",
        "cc_emails": ["oncall@example.com"],
        **changes,
    }
    return cases.support_case_open(ticket=ticket, actor=actor, **values)


def _raising(exc: Exception):
    def create_case(*args, **kwargs):
        raise exc

    return create_case


def _told(person) -> list[Notification]:
    return list(Notification.objects.filter(email=person.email))


def _case_events(ticket) -> list[dict]:
    return [e.data for e in TicketEvent.objects.filter(ticket=ticket, kind="aws_case").order_by("pk")]


@pytest.mark.django_db
def test_an_agent_opens_a_case_and_the_ticket_waits_on_aws(aws, agent, queue):
    # given: a production ticket of the agent's queue, on an Enterprise account
    ticket = production_ticket(case_account(), queue)
    # when
    case = _open(ticket, agent, subject="Checkout is down")
    # then: AWS has the case, as sent; the ticket has its id and waits on AWS
    [at_aws] = aws.cases.values()
    assert case.state == State.OPEN and case.case_id == at_aws.case_id
    assert at_aws.subject == f"[{ticket.reference}] Checkout is down"  # the reference leads, whatever was typed
    # moto turns the severity on every describe (docs/aws.md#fakes): the one sent is the row's
    assert (case.severity_code, at_aws.communication_body) == ("urgent", "Every checkout fails.")
    assert at_aws.cc_email_addresses == ["oncall@example.com"]
    assert case.display_id == "foo_display_id" and case.opened_by == agent
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING_AWS and ticket.acknowledged_at is not None
    [event] = _case_events(ticket)
    assert event["case_id"] == case.case_id
    assert event["summary"] == "Opened case foo_display_id as “Production system down”."
    assert CaseCommunication.objects.get(case=case).body == "Every checkout fails."  # AWS's echo is not news


@pytest.mark.django_db
def test_a_double_click_opens_one_case(aws, agent, queue):
    ticket = production_ticket(case_account(), queue)
    case = _open(ticket, agent)
    with pytest.raises(cases.CaseAlreadyOpen, match=f"A case is already open for {ticket.reference}: foo_display_id"):
        _open(ticket, agent)
    assert len(aws.cases) == 1 and SupportCase.objects.get() == case


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("severities", "refusal"),
    [
        ([], "support plan does not let Supportdesk open AWS Support cases"),
        (
            BUSINESS_SEVERITIES,
            "offers “General guidance”, “System impaired”, “Production system impaired”, "
            "“Production system down”, not “critical”",
        ),
    ],
)
def test_what_the_plan_does_not_offer_is_refused_before_aws(aws, agent, queue, severities, refusal):
    ticket = production_ticket(case_account(severities=severities), queue)
    with pytest.raises((cases.CaseRefused, cases.CaseFieldInvalid), match=refusal):
        _open(ticket, agent, severity_code="critical")
    assert not aws.cases and not SupportCase.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "changes", "message"),
    [
        ("cc_emails", {"cc_emails": [f"p{n}@example.com" for n in range(11)]}, "at most 10 cc addresses"),
        ("cc_emails", {"cc_emails": ["not an address"]}, "is not an email address"),
        ("body", {"body": "x" * 8001}, "at most 8000 characters"),
        ("category_code", {"category_code": "billing"}, "not a category of amazon-elastic-compute-cloud-linux"),
    ],
)
def test_bad_input_is_refused_on_its_field(aws, agent, queue, field, changes, message):
    ticket = production_ticket(case_account(), queue)
    with pytest.raises(cases.CaseFieldInvalid, match=message) as raised:
        _open(ticket, agent, **changes)
    assert raised.value.field == field and not aws.cases


@pytest.mark.django_db
def test_people_who_do_not_work_the_queue_may_not_open_a_case(aws, queue):
    ticket = production_ticket(case_account(), queue)
    for person in (UserFactory(role=Role.MANAGER), UserFactory(role=Role.AGENT)):  # read-only; another queue's agent
        with pytest.raises(NotAllowed):
            _open(ticket, person)
    assert not aws.cases


@pytest.mark.django_db
def test_a_case_aws_refused_can_be_tried_again(aws, agent, queue, monkeypatch):
    ticket = production_ticket(case_account(), queue)
    real = support.create_case
    monkeypatch.setattr(support, "create_case", _raising(AwsError("AWS refused: Limit")))
    with pytest.raises(cases.CaseRefused, match="AWS did not open the case: AWS refused: Limit"):
        _open(ticket, agent)
    assert SupportCase.objects.get().state == State.FAILED
    monkeypatch.setattr(support, "create_case", real)
    case = _open(ticket, agent)
    assert case.state == State.OPEN and len(aws.cases) == 1
    assert [e["summary"] for e in _case_events(ticket)] == [
        "AWS did not open the case: AWS refused: Limit",
        "Opened case foo_display_id as “Production system down”.",
    ]


@pytest.mark.django_db
def test_throttling_fails_the_attempt_and_is_raised_for_a_task_to_retry(aws, agent, queue, monkeypatch):
    ticket = production_ticket(case_account(), queue)
    monkeypatch.setattr(support, "create_case", _raising(AwsThrottled("Throttled.")))
    with pytest.raises(AwsThrottled):
        _open(ticket, agent)
    assert SupportCase.objects.get().state == State.FAILED  # AWS opened nothing: the retry may ask again


@pytest.mark.django_db
def test_a_case_whose_id_was_lost_is_found_not_opened_twice(aws, agent, queue, monkeypatch):
    # given: AWS opens the case, but its answer never arrives
    ticket = production_ticket(case_account(), queue)
    real = support.create_case

    def lost_answer(*args, **kwargs):
        real(*args, **kwargs)
        raise AwsUnavailable("AWS is unreachable; will retry.")

    monkeypatch.setattr(support, "create_case", lost_answer)
    case = _open(ticket, agent)
    assert case.state == State.OPENING and "looks for the case at AWS" in case.error
    with pytest.raises(cases.CaseAlreadyOpen, match="already being opened"):  # and no second create
        _open(ticket, agent)
    # when: the sync looks for it
    monkeypatch.setattr(support, "create_case", real)
    support_case_recover(case=case, now=case.opened_at)
    # then: it adopts the case AWS has, by the reference in its subject
    case.refresh_from_db()
    [at_aws] = aws.cases.values()
    assert (case.state, case.case_id) == (State.OPEN, at_aws.case_id)
    assert _case_events(ticket)[-1]["summary"].startswith("Found case foo_display_id at AWS")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING_AWS


@pytest.mark.django_db
def test_an_opening_aws_never_received_is_opened_by_the_sync(aws, agent, queue, monkeypatch):
    ticket = production_ticket(case_account(), queue)
    real = support.create_case
    monkeypatch.setattr(support, "create_case", _raising(AwsUnavailable("Unreachable.")))
    case = _open(ticket, agent)
    monkeypatch.setattr(support, "create_case", real)
    support_case_recover(case=case, now=case.opened_at)
    case.refresh_from_db()
    assert case.state == State.OPEN and len(aws.cases) == 1
    assert _case_events(ticket)[-1]["summary"].endswith("which AWS had never received.")


# Rules


@pytest.mark.django_db
def test_a_rule_wanting_critical_on_a_business_plan_gets_urgent_and_the_ticket_says_so(aws, queue, manager):
    ticket = production_ticket(case_account(severities=BUSINESS_SEVERITIES, support_plan="business"), queue)
    case = cases.support_case_open_automatically(ticket=ticket, wanted_severity="critical", reason="Prod down")
    cases.support_case_open_automatically(ticket=ticket, wanted_severity="critical", reason="Prod down")  # re-run
    [at_aws] = aws.cases.values()
    assert (case.severity_code, case.opened_by) == ("urgent", None)
    assert (at_aws.service_code, at_aws.category_code) == ("general-info", "using-aws")
    assert at_aws.communication_body.startswith("Opened by Supportdesk for: Prod down\n\nSince 09:00 every checkout")
    assert case.note == (
        "Opened as “Production system down”, not “Business-critical system down” as “Prod down” asked: Payments "
        "production's support plan (Business) does not offer “Business-critical system down”."
    )
    [event] = _case_events(ticket)
    assert event["summary"] == "Opened case foo_display_id as “Production system down” for “Prod down”."
    assert case.note in event["lines"]
    [told] = _told(manager)  # once, however often the rule runs
    assert told.reason == f"AWS Support case foo_display_id opened lower than asked. {case.note}"[:300]


@pytest.mark.django_db
def test_a_rule_on_a_basic_plan_opens_nothing_and_the_ticket_says_why(aws, queue, manager):
    queue_manager = UserFactory(role=Role.MANAGER)
    queue.members.add(queue_manager)
    ticket = production_ticket(case_account(severities=[], support_plan="basic"), queue)
    assert cases.support_case_open_automatically(ticket=ticket, wanted_severity="urgent", reason="Prod down") is None
    [event] = _case_events(ticket)
    assert event["summary"].startswith("No case was opened for “Prod down”: Payments production's support plan")
    assert "Basic and Developer plans have no Support API" in event["summary"]
    assert not aws.cases and not SupportCase.objects.exists()
    # the queue's own manager hears it, not every manager
    assert _told(manager) == []
    [told] = _told(queue_manager)
    assert told.reason.startswith("No AWS Support case was opened for “Prod down”: Payments production's support")


@pytest.mark.django_db
def test_a_rule_finds_the_case_a_person_opened(aws, agent, queue):
    ticket = production_ticket(case_account(), queue)
    case = _open(ticket, agent)
    again = cases.support_case_open_automatically(ticket=ticket, wanted_severity="critical", reason="Prod down")
    assert again == case and len(aws.cases) == 1


# Races: the row comes first, in its own transaction


def _at_once(*calls) -> list:
    """Run the calls in threads released together; each result or exception, in order."""
    start, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(n, call):
        start.wait()
        try:
            results[n] = call()
        except Exception as exc:  # the test looks at what each got
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("who", [("person", "person"), ("person", "rule"), ("rule", "rule")])
def test_two_at_once_open_one_case(aws, monkeypatch, who):
    # given: AWS takes its time to answer
    agent = UserFactory(role=Role.AGENT)
    ticket = production_ticket(case_account(), QueueFactory(members=[agent]))
    real, created = support.create_case, []

    def slow(*args, **kwargs):
        created.append(kwargs["subject"])
        time.sleep(0.2)
        return real(*args, **kwargs)

    monkeypatch.setattr(support, "create_case", slow)
    calls = {
        "person": lambda: _open(ticket, agent),
        "rule": lambda: cases.support_case_open_automatically(ticket=ticket, wanted_severity="urgent", reason="R"),
    }
    # when
    results = _at_once(*(calls[w] for w in who))
    # then: one AWS call, one case; a person is told, a rule gets the case
    assert len(created) == 1 and len(aws.cases) == 1
    assert SupportCase.objects.count() == 1
    for kind, result in zip(who, results, strict=True):
        if isinstance(result, Exception):
            assert kind == "person" and isinstance(result, cases.CaseAlreadyOpen), result
        else:
            assert isinstance(result, SupportCase)
