"""The case sync against the sandbox, whose statuses hold still and whose AWS replies two steps after each message."""

from datetime import timedelta

import pytest
from django_celery_beat.models import PeriodicTask

from awsgateway import support
from integrations import tasks
from integrations.cases import services as case_services
from integrations.models import ApiState, AwsAccount, SupportCase
from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent
from tools.sandbox.scenario import PRODUCTION

from .cases_fakes import EC2, case_account, live_sandbox, production_ticket

pytestmark = pytest.mark.django_db
State = SupportCase.State


@pytest.fixture
def live(settings, monkeypatch):
    with live_sandbox(settings, monkeypatch) as server:
        yield server


@pytest.fixture
def account(live):
    return case_account(PRODUCTION)


@pytest.fixture
def ticket(account, queue):
    return production_ticket(account, queue)


def _open(ticket, agent) -> SupportCase:
    return case_services.support_case_open(
        ticket=ticket,
        actor=agent,
        service_code=EC2.code,
        category_code="instance-issue",
        severity_code="critical",
        subject="Checkout is down",
        body="Every checkout fails since 09:00.",
    )


def _summaries(ticket) -> list[str]:
    return [e.data["summary"] for e in TicketEvent.objects.filter(ticket=ticket, kind="aws_case").order_by("pk")]


def _at_aws(live, case: SupportCase) -> dict:
    support_at_aws = live.client("support", PRODUCTION)
    [found] = support_at_aws.describe_cases(caseIdList=[case.case_id], includeResolvedCases=True)["cases"]
    return found


def test_an_aws_reply_reaches_the_timeline_once(live, account, ticket, agent):
    # given: an open case; AWS has only our message so far
    case = _open(ticket, agent)
    case_services.support_cases_sync(account=account)
    assert _summaries(ticket) == ["Opened case 17000000001 as “Business-critical system down”."]
    # when: AWS replies, and the sync runs twice
    live.at_step(2)
    case_services.support_cases_sync(account=account)
    case_services.support_cases_sync(account=account)
    # then: AWS's words are on the timeline once, and its status on the case
    assert _summaries(ticket)[1:] == ["AWS replied on case 17000000001."]
    reply = TicketEvent.objects.filter(ticket=ticket, kind="aws_case").last().data
    assert reply["case_id"] == case.case_id
    assert 'Thank you for contacting AWS Support about "[SD-' in "\n".join(reply["lines"])
    case.refresh_from_db()
    assert (case.status, case.state) == ("pending-customer-action", State.OPEN)
    assert case.last_synced_at is not None


def test_an_aws_reply_brings_a_ticket_waiting_on_aws_back_to_work(live, account, ticket, agent):
    _open(ticket, agent)
    ticket.refresh_from_db()
    assert ticket.status == "waiting_aws"
    before = ticket.updated_at
    live.at_step(2)

    case_services.support_cases_sync(account=account)

    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.updated_at > before
    note = TicketEvent.objects.filter(ticket=ticket, kind="status_changed").last().data["note"]
    assert note == "AWS replied on the case."


def test_public_comments_go_to_aws_once_and_internal_notes_stay(live, account, ticket, agent):
    case = _open(ticket, agent)
    ticket_services.comment_add(ticket=ticket, author=agent, body="Rolled back the deploy; still failing.")
    ticket_services.comment_add(ticket=ticket, author=agent, body="Suspect the NAT gateway.", is_internal=True)
    case_services.support_cases_sync(account=account)
    case_services.support_cases_sync(account=account)
    messages = live.client("support", PRODUCTION).describe_communications(caseId=case.case_id)["communications"]
    bodies = [m["body"] for m in messages]
    sent = [b for b in bodies if "Rolled back the deploy" in b]
    assert sent == [
        f"{agent.display_name} wrote in Supportdesk ({ticket.reference}):\n\nRolled back the deploy; still failing."
    ]
    assert not any("NAT gateway" in b for b in bodies)
    assert _summaries(ticket) == [_summaries(ticket)[0]]  # what we sent does not come back as news
    assert case.communications.filter(sent_at__isnull=True).count() == 0


def test_a_comment_is_not_sent_again_when_a_sync_died_after_sending(live, account, ticket, agent, monkeypatch):
    case = _open(ticket, agent)
    ticket_services.comment_add(ticket=ticket, author=agent, body="Any news?")
    case_services.support_cases_sync(account=account)
    sent = []
    monkeypatch.setattr(support, "add_communication", lambda *args: sent.append(args))
    case_services.support_cases_sync(account=account)
    assert sent == [] and case.communications.filter(comment__isnull=False).count() == 1


def test_aws_resolving_the_case_resolves_the_ticket(live, account, ticket, agent):
    case = _open(ticket, agent)
    live.client("support", PRODUCTION).resolve_case(caseId=case.case_id)  # someone resolves it at AWS
    case_services.support_cases_sync(account=account)
    case.refresh_from_db()
    ticket.refresh_from_db()
    assert (case.state, case.status) == (State.RESOLVED, "resolved")
    assert ticket.status == Ticket.Status.RESOLVED
    assert _summaries(ticket)[-1] == "AWS resolved case 17000000001."
    note = TicketEvent.objects.filter(ticket=ticket, kind="status_changed").last().data["note"]
    assert note == "AWS resolved case 17000000001."


@pytest.mark.parametrize("action", ["resolve", "close"])
def test_a_ticket_resolved_or_closed_in_the_portal_resolves_the_case_at_aws(live, account, ticket, agent, action):
    case = _open(ticket, agent)
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action="resolve", note="Fixed the NAT gateway.")
    if action == "close":
        ticket_services.ticket_transition(ticket=ticket, actor=agent, action="close")
    case_services.support_cases_sync(account=account)
    case_services.support_cases_sync(account=account)
    case.refresh_from_db()
    assert _at_aws(live, case)["status"] == "resolved"
    assert case.state == State.RESOLVED
    status = "resolved" if action == "resolve" else "closed"
    assert _summaries(ticket)[-1] == f"Resolved case 17000000001 at AWS, as {ticket.reference} is {status}."


def test_the_sync_adopts_a_case_whose_opening_died_and_waits_while_it_may_be_running(
    live, account, ticket, agent, monkeypatch
):
    # given: AWS opened the case and the process died before the id was stored
    class Died(BaseException):
        pass

    real = support.create_case

    def dies(*args, **kwargs):
        real(*args, **kwargs)
        raise Died

    monkeypatch.setattr(support, "create_case", dies)
    with pytest.raises(Died):
        _open(ticket, agent)
    monkeypatch.setattr(support, "create_case", lambda *a, **k: pytest.fail("created a second case"))
    case = SupportCase.objects.get()
    assert case.state == State.OPENING
    # when: the sync runs while the attempt might still be under way, and after
    case_services.support_cases_sync(account=account, now=case.opened_at + timedelta(minutes=1))
    assert SupportCase.objects.get().state == State.OPENING  # and not filed as a case opened outside Supportdesk
    assert Ticket.objects.count() == 1
    case_services.support_cases_sync(account=account, now=case.opened_at + timedelta(minutes=11))
    # then: the case AWS has is adopted; nothing was created twice
    case.refresh_from_db()
    assert case.state == State.OPEN and case.display_id == "17000000001"
    assert len(live.client("support", PRODUCTION).describe_cases(includeResolvedCases=True)["cases"]) == 1


def test_a_case_aws_does_not_know_stops_only_itself(live, account, ticket, agent, queue):
    lost = _open(ticket, agent)
    SupportCase.objects.filter(pk=lost.pk).update(case_id="case-unknown")
    kept = _open(production_ticket(account, queue, title="Search is slow"), agent)
    live.at_step(2)
    case_services.support_cases_sync(account=account)
    lost.refresh_from_db()
    kept.refresh_from_db()
    assert "case-unknown" in lost.error and lost.state == State.OPEN
    assert kept.status == "pending-customer-action" and not kept.error


def test_the_periodic_sync_visits_accounts_with_the_support_api_or_live_cases(
    live, account, ticket, agent, monkeypatch
):
    # given: a case opened from a ticket; an account whose plan has the API; one without it, and a disabled one
    _open(ticket, agent)
    AwsAccount.objects.filter(pk=account.pk).update(support_api=ApiState.DENIED)  # the case is followed all the same
    business = case_account("444455556666", name="Platform development")
    case_account("777788889999", name="Sandbox", severities=[])
    case_account("222233334444", name="Closed", enabled=False)
    queued = []
    monkeypatch.setattr(tasks.support_cases_sync_task, "delay", queued.append)
    assert tasks.support_cases_sync_all_task() == 2 and sorted(queued) == sorted([account.pk, business.pk])
    assert tasks.support_cases_sync_task(account.pk) == "done"
    schedule = PeriodicTask.objects.get(task="integrations.tasks.support_cases_sync_all_task")
    assert (schedule.interval.every, schedule.interval.period) == (5, "minutes")
