"""Cases opened outside Supportdesk (in the console, or by AWS about abuse or exposed keys): the sync files each as a
ticket once, with its messages, and follows it like the cases Supportdesk opens. Stubber answers with AWS's shapes
(samples/support_cases_found.json); the sandbox plays the story `make run` tells."""

import json
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from awsgateway import clients
from awsgateway.errors import AwsThrottled
from integrations.cases import services as case_services
from integrations.models import AwsAccount, CaseCommunication, SupportCase
from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent
from tools.sandbox.scenario import PRODUCTION

from ..awsgateway.helpers import stubbed
from ..factories import UserFactory
from .cases_fakes import case_account, live_sandbox

pytestmark = pytest.mark.django_db
SAMPLES = json.loads((Path(__file__).parent / "samples" / "support_cases_found.json").read_text())
ABUSE, EXPOSED, CONSOLE = (case["caseId"] for page in SAMPLES["pages"] for case in page["cases"])
LISTING = {"includeResolvedCases": False, "includeCommunications": False}
ACCESS = clients.AccountAccess(account_id=PRODUCTION)


def _stamp(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _listed(stub, **extra) -> None:
    first, second = SAMPLES["pages"]
    stub.add_response("describe_cases", first, {**LISTING, **extra})
    stub.add_response("describe_cases", second, {**LISTING, **extra, "nextToken": first["nextToken"]})


def _messages(stub, case_id: str, **extra) -> None:
    answer = {"communications": SAMPLES["communications"][case_id]}
    stub.add_response("describe_communications", answer, {"caseId": case_id, **extra})


def _aws_case_summaries(ticket) -> list[str]:
    return [e.data["summary"] for e in TicketEvent.objects.filter(ticket=ticket, kind="aws_case").order_by("pk")]


@pytest.fixture
def account():
    return case_account(PRODUCTION)


def test_cases_opened_by_aws_or_in_the_console_become_tickets_with_their_messages(monkeypatch, account):
    # given: the account lists two cases AWS opened and one a person opened in the console; she uses Supportdesk
    jane = UserFactory(email="Jane.Doe@example.com")
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        _listed(stub)
        for case_id in (ABUSE, EXPOSED, CONSOLE):
            _messages(stub, case_id)
        # when
        case_services.support_cases_sync(account=account)
    # then: one ticket each, in the account's queue, labelled by who opened the case
    cases = {c.case_id: c for c in SupportCase.objects.select_related("ticket")}
    assert set(cases) == {ABUSE, EXPOSED, CONSOLE}
    abuse, exposed, console = cases[ABUSE], cases[EXPOSED], cases[CONSOLE]
    assert [c.origin for c in (abuse, exposed, console)] == ["aws", "aws", "console"]
    assert [c.issue_type for c in (abuse, exposed, console)] == ["customer-service", "customer-service", "technical"]
    assert {c.ticket.queue for c in cases.values()} == {account.owner_queue}
    assert all(c.state == SupportCase.State.OPEN and c.ticket.status == Ticket.Status.NEW for c in cases.values())
    # the ticket says what AWS wrote first, and the case's facts
    ticket = abuse.ticket
    assert ticket.title == "AWS Support case 174512345600: Your AWS Abuse Report [11223344-1] [AWS ID 111122223333]"
    assert ticket.description.startswith("Hello,\n\nWe've received a report that your AWS resources")
    assert "AWS Support case 174512345600, opened by AWS on 2026-11-30 08:12 UTC." in ticket.description
    assert (ticket.kind, ticket.requester.email) == ("incident", "aws@supportdesk.invalid")
    assert ticket.aws_account_id == PRODUCTION
    assert {t.name for t in ticket.tags.all()} == {"aws-support-case", "opened-by-aws"}
    # severity follows the case's: high and urgent AWS cases rank above a normal one
    assert exposed.ticket.severity.rank < abuse.ticket.severity.rank < console.ticket.severity.rank
    # each later message is on the timeline once; the first is the description, not repeated
    assert _aws_case_summaries(ticket) == ["AWS replied on case 174512345600."]
    assert _aws_case_summaries(exposed.ticket) == []
    assert _aws_case_summaries(console.ticket) == ["AWS replied on case 174512402200."]
    assert CaseCommunication.objects.filter(case=abuse).count() == 2
    # a console case is filed by the person who opened it, when Supportdesk knows them
    assert (console.ticket.requester, console.ticket.kind) == (jane, "service_request")
    assert console.ticket.description.startswith("Our Multi-AZ PostgreSQL instance payments-db took nine minutes")


def test_the_ticket_page_labels_a_case_aws_opened(monkeypatch, client, agent, queue, django_assert_max_num_queries):
    AwsAccount.objects.filter(pk=case_account(PRODUCTION).pk).update(owner_queue=queue)
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        _listed(stub)
        for case_id in (ABUSE, EXPOSED, CONSOLE):
            _messages(stub, case_id)
        case_services.support_cases_sync(account=AwsAccount.objects.get())
    client.force_login(agent)
    abuse, console = (SupportCase.objects.select_related("ticket").get(case_id=c) for c in (ABUSE, CONSOLE))
    with django_assert_max_num_queries(10):
        panel = client.get(f"/aws/tickets/{abuse.ticket.reference}/").content.decode()
    assert "<strong>Opened by AWS</strong>" in panel and "<strong>174512345600</strong>" in panel
    assert "Account and billing" in panel and "Escalate to AWS" not in panel
    panel = client.get(f"/aws/tickets/{console.ticket.reference}/").content.decode()
    assert "<strong>Opened outside Supportdesk</strong>" in panel and "Technical" in panel


def test_a_second_sync_files_nothing_twice_and_reads_each_message_once(monkeypatch, account):
    first_sync = timezone.now()
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        _listed(stub)
        for case_id in (ABUSE, EXPOSED, CONSOLE):
            _messages(stub, case_id)
        case_services.support_cases_sync(account=account, now=first_sync)
    account.refresh_from_db()
    assert account.cases_cursor == first_sync
    events = TicketEvent.objects.count()
    # when: five minutes later AWS lists the same cases (the look overlaps) and every message again
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        ids = list(SupportCase.objects.order_by("pk").values_list("case_id", flat=True))
        found = [case for page in SAMPLES["pages"] for case in page["cases"]]
        stub.add_response(
            "describe_cases",
            {"cases": found},
            {"caseIdList": ids, "includeResolvedCases": True, "includeCommunications": False},
        )
        for case_id in ids:
            latest = max(m.time_created for m in CaseCommunication.objects.filter(case__case_id=case_id))
            _messages(stub, case_id, afterTime=_stamp(latest - timedelta(minutes=5)))
        stub.add_response(
            "describe_cases", {"cases": found}, {**LISTING, "afterTime": _stamp(first_sync - timedelta(minutes=15))}
        )
        case_services.support_cases_sync(account=account, now=first_sync + timedelta(minutes=5))
    # then: the same three tickets, no new timeline entry, AWS's status kept
    assert Ticket.objects.count() == SupportCase.objects.count() == 3
    assert TicketEvent.objects.count() == events
    assert SupportCase.objects.get(case_id=CONSOLE).status == "work-in-progress"


def test_a_throttled_look_is_retried_later_and_loses_nothing(monkeypatch, account):
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        _listed(stub)
        stub.add_client_error("describe_communications", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(AwsThrottled):
            case_services.support_cases_sync(account=account)
    account.refresh_from_db()
    assert account.cases_cursor is None and not SupportCase.objects.exists()  # the next sync looks again from the start
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        _listed(stub)
        for case_id in (ABUSE, EXPOSED, CONSOLE):
            _messages(stub, case_id)
        case_services.support_cases_sync(account=account)
    assert SupportCase.objects.count() == 3


def test_a_case_whose_messages_aws_refuses_waits_and_the_others_are_filed(monkeypatch, account):
    with stubbed(monkeypatch, ACCESS, "support") as stub:
        _listed(stub)
        stub.add_client_error("describe_communications", service_error_code="CaseIdNotFound", service_message="No")
        _messages(stub, EXPOSED)
        _messages(stub, CONSOLE)
        case_services.support_cases_sync(account=account)
    account.refresh_from_db()
    assert set(SupportCase.objects.values_list("case_id", flat=True)) == {EXPOSED, CONSOLE}
    assert account.cases_cursor is None  # the look starts again where it did, so the abuse report is tried again


def test_an_account_without_the_support_api_is_not_listed(monkeypatch, account):
    AwsAccount.objects.filter(pk=account.pk).update(support_api="plan_too_low")
    account.refresh_from_db()
    with stubbed(monkeypatch, ACCESS, "support"):  # nothing queued: any call would fail the test
        assert case_services.support_cases_sync(account=account) == 0


# The sandbox: the story's exposed key, as `make run` shows it


@pytest.fixture
def live(settings, monkeypatch):
    with live_sandbox(settings, monkeypatch) as server:
        yield server


def test_the_sandbox_s_exposed_key_case_becomes_a_ticket_followed_both_ways(live, account, agent, queue):
    # given: the account's tickets go to the agent's queue; before step 4 AWS has opened nothing
    AwsAccount.objects.filter(pk=account.pk).update(owner_queue=queue)
    account.refresh_from_db()
    case_services.support_cases_sync(account=account)
    assert not SupportCase.objects.exists()
    # when: AWS opens its case, and the sync runs twice
    live.at_step(4)
    case_services.support_cases_sync(account=account)
    case_services.support_cases_sync(account=account)
    # then: one ticket, labelled as AWS's
    case = SupportCase.objects.select_related("ticket").get()
    ticket = case.ticket
    assert (case.origin, case.display_id, case.status) == ("aws", "17100000001", "pending-customer-action")
    assert ticket.title == "AWS Support case 17100000001: Your AWS Access Key is Exposed [AWS ID 111122223333]"
    assert "AKIAIOSFODNN7EXAMPLE" in ticket.description
    # an agent answers on the ticket: it reaches AWS once, and AWS's answer comes back once
    ticket_services.comment_add(ticket=ticket, author=agent, body="Rotated the key and deleted the old one.")
    case_services.support_cases_sync(account=account)
    live.at_step(7)
    case_services.support_cases_sync(account=account)
    case_services.support_cases_sync(account=account)
    at_aws = live.client("support", PRODUCTION).describe_communications(caseId=case.case_id)["communications"]
    assert sum("Rotated the key" in m["body"] for m in at_aws) == 1
    assert _aws_case_summaries(ticket) == ["AWS replied on case 17100000001."]
    # resolving the ticket resolves the case at AWS
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action="resolve", note="Key rotated.")
    case_services.support_cases_sync(account=account)
    [found] = live.client("support", PRODUCTION).describe_cases(caseIdList=[case.case_id], includeResolvedCases=True)[
        "cases"
    ]
    assert found["status"] == "resolved"
    case.refresh_from_db()
    assert case.state == SupportCase.State.RESOLVED
