"""Security Hub and GuardDuty findings, pushed and polled, as tickets; and an agent's resolution written back."""

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from awsgateway import securityhub
from awsgateway.errors import AwsAccessDenied, AwsUnavailable
from integrations.models import AwsAccount, PollRun, SecurityFinding, TagRoute
from integrations.push import services as push_services
from integrations.security import services, tasks
from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent
from tickets.workflow import Action

from ..factories import QueueFactory

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def fsbp(**changes) -> dict:
    """The FSBP control finding (EC2.19, CRITICAL) as Security Hub pushes it, with ASFF members changed."""
    event = sample("securityhub_imported_fsbp")
    event["detail"]["findings"][0].update(changes)
    return event


def ingest(event: dict) -> str:
    return push_services.eventbridge_event_ingest(event=event)


def _ticket() -> Ticket:
    return Ticket.objects.get(security_finding__isnull=False)


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))]


def test_a_pushed_control_finding_opens_one_ticket_severe_and_routed_by_its_resources_tags(prod_account):
    payments = QueueFactory(name="Payments")
    TagRoute.objects.create(tag_key="team", tag_value="payments", queue=payments)

    assert ingest(fsbp()) == "opened"

    ticket = _ticket()
    assert ticket.title == (
        "Security Hub: Security groups should not allow unrestricted access to ports with high risk (Payments prod)"
    )
    assert ticket.severity.rank == 1 and ticket.queue == payments and ticket.kind == Ticket.Kind.AWS_FINDING
    assert "sg-0a1b2c3d4e5f67890" in ticket.description and "EC2.19/remediation" in ticket.description
    assert set(ticket.tags.values_list("name", flat=True)) >= {"security-hub", "security"}


def test_a_redelivered_finding_writes_nothing(prod_account):
    ingest(fsbp())
    with CaptureQueriesContext(connection) as queries:
        assert ingest(fsbp()) == "unchanged"
    assert _writes(queries) == []


def test_a_re_evaluation_with_the_same_state_only_moves_the_stamp(prod_account):
    ingest(fsbp())
    with CaptureQueriesContext(connection) as queries:
        assert ingest(fsbp(UpdatedAt="2026-03-11T14:21:41.262Z")) == "unchanged"
    assert len(_writes(queries)) == 1 and TicketEvent.objects.filter(kind="aws_updated").count() == 0


def test_guardduty_pushed_raw_and_through_security_hub_is_one_ticket(prod_account):
    assert ingest(sample("guardduty_finding")) == "opened"
    assert ingest(sample("securityhub_imported_guardduty")) == "unchanged"  # same Id, same state

    ticket = _ticket()
    assert ticket.title.startswith("GuardDuty: Command and Control server domain name queried")
    assert ticket.severity.rank == 2  # severity 8: HIGH
    assert SecurityFinding.objects.get().product_arn == "arn:aws:securityhub:eu-west-1::product/aws/guardduty"


def test_a_guardduty_event_leaves_the_workflow_security_hub_has(prod_account):
    resolved = sample("securityhub_imported_guardduty")
    resolved["detail"]["findings"][0]["Workflow"] = {"Status": "RESOLVED"}
    ingest(sample("guardduty_finding"))
    assert ingest(resolved) == "resolved"
    seen_again = sample("guardduty_finding")
    seen_again["detail"]["updatedAt"] = "2026-03-10T16:00:00.000Z"
    seen_again["detail"]["service"]["count"] = 2

    assert ingest(seen_again) == "unchanged"
    assert SecurityFinding.objects.get().workflow_status == "RESOLVED" and _ticket().status == Ticket.Status.RESOLVED


def test_a_guardduty_finding_archived_resolves_its_ticket(prod_account):
    ingest(sample("guardduty_finding"))
    archived = sample("guardduty_finding")
    archived["detail"]["service"]["archived"] = True
    archived["detail"]["updatedAt"] = "2026-03-10T16:00:00.000Z"

    assert ingest(archived) == "resolved"
    assert _ticket().status == Ticket.Status.RESOLVED


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"Workflow": {"Status": "RESOLVED"}}, "workflow status is RESOLVED"),
        ({"Workflow": {"Status": "SUPPRESSED"}}, "workflow status is SUPPRESSED"),
        ({"RecordState": "ARCHIVED"}, "archived the finding"),
        ({"Compliance": {"Status": "PASSED"}, "Severity": {"Label": "INFORMATIONAL"}}, "control now passes"),
    ],
)
def test_a_finding_no_longer_live_resolves_its_ticket_saying_why(prod_account, changes, says):
    ingest(fsbp())

    assert ingest(fsbp(UpdatedAt="2026-03-10T18:00:00.000Z", **changes)) == "resolved"

    ticket = _ticket()
    assert ticket.status == Ticket.Status.RESOLVED
    resolved = ticket.events.get(kind=TicketEvent.Kind.STATUS_CHANGED)
    assert says in resolved.data["note"]
    assert ticket.events.filter(kind=TicketEvent.Kind.AWS_UPDATED).exists()


def test_a_failing_control_again_reopens_the_ticket(prod_account):
    ingest(fsbp())
    ingest(fsbp(UpdatedAt="2026-03-10T18:00:00.000Z", Compliance={"Status": "PASSED"}))

    assert ingest(fsbp(UpdatedAt="2026-03-11T18:00:00.000Z")) == "updated"
    assert _ticket().status in Ticket.OPEN_STATUSES


@pytest.mark.parametrize(
    "changes",
    [{"Workflow": {"Status": "SUPPRESSED"}}, {"Severity": {"Label": "INFORMATIONAL"}}, {"RecordState": "ARCHIVED"}],
)
def test_suppressed_informational_or_archived_findings_open_no_ticket(prod_account, changes):
    assert ingest(fsbp(**changes)) == "unchanged"
    assert SecurityFinding.objects.get().ticket is None
    assert not Ticket.objects.exists()


def test_an_older_copy_arriving_late_changes_nothing(prod_account):
    ingest(fsbp(UpdatedAt="2026-03-10T18:00:00.000Z", Workflow={"Status": "RESOLVED"}))
    assert ingest(fsbp()) == "unchanged"
    assert SecurityFinding.objects.get().workflow_status == "RESOLVED" and not Ticket.objects.exists()


def test_findings_of_unregistered_accounts_are_ignored(prod_account):
    event = fsbp(AwsAccountId="999999999999")
    assert ingest(event).startswith("ignored")


@pytest.mark.parametrize(
    "event",
    [
        {"source": "aws.securityhub", "detail": {"findings": [{"Id": "x"}]}},
        {"source": "aws.securityhub", "detail": {"findings": "nope"}},
        {"source": "aws.guardduty", "detail": {"arn": "arn:x", "updatedAt": "2026-03-10T15:02:31Z"}},
        {"source": "aws.guardduty", "detail": {"arn": "arn:x", "updatedAt": "soon", "severity": 5}},
    ],
)
def test_malformed_findings_are_refused_with_a_reason(prod_account, event):
    with pytest.raises(push_services.EventRefused):
        ingest(event)


# Polling


class FakeHub:
    def __init__(self) -> None:
        self.pages: dict[str | None, list[securityhub.SecurityFinding]] = {}
        self.asked: list[tuple[str | None, object]] = []
        self.resolved: list[tuple[str | None, list, str]] = []
        self.refusal: Exception | None = None
        self.unprocessed: list[securityhub.Unprocessed] = []

    def findings(self, access, region, *, since):
        self.asked.append((region, since))
        yield from self.pages.get(region, [])

    def findings_resolve(self, access, region, *, findings, note, by):
        if self.refusal:
            raise self.refusal
        self.resolved.append((region, list(findings), note))
        return self.unprocessed


@pytest.fixture
def hub(monkeypatch) -> FakeHub:
    fake = FakeHub()
    monkeypatch.setattr(securityhub, "findings", fake.findings)
    monkeypatch.setattr(securityhub, "findings_resolve", fake.findings_resolve)
    return fake


def asff(**changes) -> securityhub.SecurityFinding:
    raw = copy.deepcopy(fsbp()["detail"]["findings"][0])
    raw.update(changes)
    return securityhub.from_asff(raw)


def _poll(account: AwsAccount) -> PollRun:
    account.refresh_from_db()
    services.security_hub_poll(account=account)
    return PollRun.objects.filter(account=account, source="security_hub").first()


def test_a_poll_reads_each_region_records_members_and_moves_the_cursor(hub, prod_account):
    prod_account.regions = ["eu-west-1", "us-east-1"]
    prod_account.save()
    member = AwsAccount.objects.create(account_id="444455556666", name="Shop", owner_queue=QueueFactory())
    hub.pages["eu-west-1"] = [asff(), asff(Id="member-finding", AwsAccountId="444455556666")]
    hub.pages["us-east-1"] = [asff(Id="stranger", AwsAccountId="999999999999")]

    run = _poll(prod_account)

    assert [region for region, _ in hub.asked] == ["eu-west-1", "us-east-1"]
    assert all(since is None for _, since in hub.asked)  # a first poll: every live finding
    assert run.outcome == PollRun.Outcome.OK and run.opened == 2
    assert SecurityFinding.objects.get(finding_id="member-finding").account == member
    assert not SecurityFinding.objects.filter(finding_id="stranger").exists()
    prod_account.refresh_from_db()
    assert prod_account.security_hub_cursor == asff().updated_at


def test_the_next_poll_asks_from_the_cursor_less_an_overlap_and_writes_nothing_when_unchanged(hub, prod_account):
    hub.pages[None] = [asff()]
    _poll(prod_account)

    with CaptureQueriesContext(connection) as queries:
        run = _poll(prod_account)

    assert hub.asked[-1] == (None, asff().updated_at - services.CURSOR_OVERLAP)
    assert [w for w in _writes(queries) if "integrations_pollrun" not in w] == []
    assert (run.opened, run.updated, run.resolved) == (0, 0, 0)


def test_a_denied_poll_is_recorded_in_words_and_not_retried(hub, prod_account, monkeypatch):
    def denied(*args, **kwargs):
        raise AwsAccessDenied("AWS denied access to securityhub:GetFindings; check the account's role.")

    monkeypatch.setattr(securityhub, "findings", denied)
    run = _poll(prod_account)
    assert run.outcome == PollRun.Outcome.FAILED and "securityhub:GetFindings" in run.message


def test_a_poll_files_many_findings_in_a_few_queries_each(hub, prod_account):
    hub.pages[None] = [asff(Id="one")]
    with CaptureQueriesContext(connection) as one:
        _poll(prod_account)
    hub.pages[None] = [asff(Id=f"f-{n}", UpdatedAt="2026-03-12T00:00:00Z") for n in range(30)]
    with CaptureQueriesContext(connection) as many:
        run = _poll(prod_account)
    assert run.opened == 30
    assert len(many) - len(one) <= 3 * 29, "\n".join(q["sql"][:100] for q in many)


def test_only_accounts_that_enable_it_are_polled_whatever_their_support_plan(prod_account):
    assert not tasks.security_hub_pollable().exists()
    AwsAccount.objects.filter(pk=prod_account.pk).update(security_hub_enabled=True, support_api="plan_too_low")
    assert list(tasks.security_hub_pollable()) == [prod_account]


# Write-back


@pytest.fixture
def agent_on_account(agent, prod_account):
    prod_account.owner_queue.members.add(agent)
    AwsAccount.objects.filter(pk=prod_account.pk).update(security_hub_write_back=True)
    return agent


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(tasks.security_finding_write_back_task, "delay", sent.append)
    return sent


def _resolve_as(agent, django_capture_on_commit_callbacks) -> Ticket:
    with django_capture_on_commit_callbacks(execute=True):
        return ticket_services.ticket_transition(
            ticket=_ticket(), actor=agent, action=Action.RESOLVE, note="Closed port 22 to the world."
        )


def test_an_agent_resolving_marks_the_finding_resolved_in_security_hub(
    hub, prod_account, agent_on_account, queued, django_capture_on_commit_callbacks
):
    ingest(fsbp())
    ticket = _resolve_as(agent_on_account, django_capture_on_commit_callbacks)
    finding = SecurityFinding.objects.get()
    assert queued == [finding.pk] and finding.write_back_due_at is not None

    assert services.security_finding_write_back(finding_id=finding.pk) == "resolved"

    region, identifiers, note = hub.resolved[0]
    assert region == "eu-west-1" and identifiers == [(finding.finding_id, finding.product_arn)]
    assert agent_on_account.display_name in note and ticket.reference in note
    finding.refresh_from_db()
    assert finding.write_back_due_at is None and finding.workflow_status == "RESOLVED"
    assert ticket.events.filter(data__summary="Marked the finding RESOLVED in Security Hub.").exists()
    # Security Hub's own echo of the change changes nothing here, and a second run asks AWS nothing
    assert ingest(fsbp(Workflow={"Status": "RESOLVED"})) == "unchanged"
    assert services.security_finding_write_back(finding_id=finding.pk) == "nothing due" and len(hub.resolved) == 1


@pytest.mark.parametrize(
    ("refusal", "unprocessed", "says"),
    [
        (AwsAccessDenied("AWS denied access to securityhub:BatchUpdateFindings."), [], "BatchUpdateFindings"),
        (None, [securityhub.Unprocessed("x", "FindingNotFound", "The finding was not found.")], "FindingNotFound"),
    ],
)
def test_a_refused_write_back_is_said_on_the_timeline_and_not_retried(
    hub, prod_account, agent_on_account, queued, django_capture_on_commit_callbacks, refusal, unprocessed, says
):
    hub.refusal, hub.unprocessed = refusal, unprocessed
    ingest(fsbp())
    ticket = _resolve_as(agent_on_account, django_capture_on_commit_callbacks)

    assert services.security_finding_write_back(finding_id=queued[0]) == "refused"

    event = ticket.events.filter(kind=TicketEvent.Kind.AWS_UPDATED).latest("pk")
    assert event.data["summary"].startswith("Security Hub refused") and says in event.data["summary"]
    assert SecurityFinding.objects.get().write_back_due_at is None


def test_an_outage_keeps_the_write_back_due_until_the_sweep_sends_it_again(
    hub, prod_account, agent_on_account, queued, django_capture_on_commit_callbacks
):
    ingest(fsbp())
    _resolve_as(agent_on_account, django_capture_on_commit_callbacks)
    hub.refusal = AwsUnavailable("AWS is unreachable; will retry.")
    with pytest.raises(AwsUnavailable):
        services.security_finding_write_back(finding_id=queued[0])
    assert services.security_write_backs_requeue() == []  # the task's own retries come first

    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        assert tasks.security_write_backs_requeue_task() == 1
    assert queued == [queued[0], queued[0]]
    hub.refusal = None
    assert services.security_finding_write_back(finding_id=queued[0]) == "resolved"


def test_resolutions_that_follow_aws_or_accounts_without_write_back_ask_nothing(
    hub, prod_account, agent, queued, django_capture_on_commit_callbacks
):
    prod_account.owner_queue.members.add(agent)
    ingest(fsbp())
    _resolve_as(agent, django_capture_on_commit_callbacks)  # the account does not write back
    AwsAccount.objects.filter(pk=prod_account.pk).update(security_hub_write_back=True)
    ticket_services.ticket_transition(ticket=_ticket(), actor=agent, action=Action.REOPEN, note="Not yet.")
    with django_capture_on_commit_callbacks(execute=True):
        ingest(fsbp(UpdatedAt="2026-03-10T18:00:00.000Z", RecordState="ARCHIVED"))  # AWS resolves it

    assert queued == [] and SecurityFinding.objects.get().write_back_due_at is None
