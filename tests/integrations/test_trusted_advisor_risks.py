"""An agent accepts a Trusted Advisor finding as a risk: excluded in Trusted Advisor, and never reopened here."""

from dataclasses import replace

import pytest

from accounts.roles import Role
from awsgateway import trusted_advisor
from awsgateway.errors import AwsAccessDenied
from integrations.findings import services as findings_services
from integrations.models import Finding
from tickets import services as ticket_services
from tickets.models import Ticket

from ..factories import UserFactory
from .fake_aws import OPEN_PORTS, open_port

pytestmark = pytest.mark.django_db
REC_ARN = "arn:aws:trustedadvisor::111122223333:recommendation-resource/{}/{}"


def flagged(group_id: str):
    return replace(open_port(group_id), arn=REC_ARN.format(OPEN_PORTS.id, group_id))


class Exclusions:
    def __init__(self) -> None:
        self.excluded: list[str] = []
        self.refusal: Exception | None = None
        self.errors: list[str] = []

    def __call__(self, access, arns):
        if self.refusal:
            raise self.refusal
        self.excluded += arns
        return self.errors


@pytest.fixture
def exclusions(monkeypatch) -> Exclusions:
    fake = Exclusions()
    monkeypatch.setattr(trusted_advisor, "resources_exclude", fake)
    return fake


@pytest.fixture
def open_ports(fake_aws, prod_account):
    fake_aws.newer_ta_api = True
    fake_aws.flag(prod_account.account_id, OPEN_PORTS, flagged("sg-1"), flagged("sg-2"))
    findings_services.trusted_advisor_poll(account=prod_account)
    return Ticket.objects.get(kind=Ticket.Kind.AWS_FINDING)


@pytest.fixture
def watcher(open_ports):
    """A requester who may see the ticket (they watch it) but not work it."""
    person = UserFactory(role=Role.REQUESTER)
    ticket_services.watcher_set(ticket=open_ports, actor=None, user=person, watching=True)
    return person


@pytest.fixture
def agent_in_queue(prod_account):
    agent = UserFactory(role=Role.AGENT)
    prod_account.owner_queue.members.add(agent)
    return agent


def _accept(client, ticket, note="Bastion hosts: the port is open on purpose."):
    return client.post(f"/aws/tickets/{ticket.reference}/accept-risk/", {"note": note}, follow=True)


def test_the_panel_offers_agents_the_confirm_step(client, open_ports, agent_in_queue, watcher):
    client.force_login(agent_in_queue)
    panel = client.get(f"/aws/tickets/{open_ports.reference}/").content.decode()
    assert "Accept as a risk…" in panel and "these 2 resources" in panel
    client.force_login(watcher)
    panel = client.get(f"/aws/tickets/{open_ports.reference}/")
    assert panel.status_code == 200 and "Accept as a risk" not in panel.content.decode()


def test_accepting_excludes_in_trusted_advisor_resolves_and_never_reopens(
    client, fake_aws, prod_account, open_ports, agent_in_queue, exclusions
):
    client.force_login(agent_in_queue)

    page = _accept(client, open_ports).content.decode()

    assert "resolved as an accepted risk" in page
    assert sorted(exclusions.excluded) == [REC_ARN.format(OPEN_PORTS.id, g) for g in ("sg-1", "sg-2")]
    open_ports.refresh_from_db()
    assert open_ports.status == Ticket.Status.RESOLVED
    note = open_ports.events.get(kind="status_changed").data["note"]
    assert "Bastion hosts" in note and "excludes 2 resources" in note
    # AWS flags them again (before the exclusion reaches every region, say): the ticket stays resolved
    findings_services.trusted_advisor_poll(account=prod_account)
    open_ports.refresh_from_db()
    assert open_ports.status == Ticket.Status.RESOLVED
    assert not Finding.objects.filter(is_open=True).exists()


@pytest.mark.parametrize(
    ("refusal", "errors", "says"),
    [
        (
            AwsAccessDenied("AWS denied access to trustedadvisor:BatchUpdateRecommendationResourceExclusion."),
            [],
            "denied",
        ),
        (None, ["ValidationException Resource is not excludable"], "not excludable"),
    ],
)
def test_a_refusal_is_said_and_changes_nothing(client, open_ports, agent_in_queue, exclusions, refusal, errors, says):
    exclusions.refusal, exclusions.errors = refusal, errors
    client.force_login(agent_in_queue)

    page = _accept(client, open_ports).content.decode()

    assert says in page
    open_ports.refresh_from_db()
    assert open_ports.status in Ticket.OPEN_STATUSES and Finding.objects.filter(is_open=True).count() == 2


def test_findings_read_through_the_support_api_cannot_be_excluded_and_say_why(
    client, fake_aws, prod_account, agent_in_queue, exclusions
):
    fake_aws.flag(prod_account.account_id, OPEN_PORTS, open_port("sg-1"))  # the Support API: no recommendation ARN
    findings_services.trusted_advisor_poll(account=prod_account)
    ticket = Ticket.objects.get(kind=Ticket.Kind.AWS_FINDING)
    client.force_login(agent_in_queue)

    page = _accept(client, ticket).content.decode()

    assert "Trusted Advisor API" in page and exclusions.excluded == []


def test_a_reason_is_required_and_requesters_and_strangers_may_not(
    client, open_ports, agent_in_queue, watcher, exclusions
):
    client.force_login(agent_in_queue)
    assert "Say why" in _accept(client, open_ports, note=" ").content.decode()
    client.force_login(watcher)
    assert "Only agents" in _accept(client, open_ports).content.decode()
    client.force_login(UserFactory(role=Role.AGENT))  # not in the ticket's queue: the ticket does not exist for them
    assert client.post(f"/aws/tickets/{open_ports.reference}/accept-risk/", {"note": "x"}).status_code == 404
    assert exclusions.excluded == []
