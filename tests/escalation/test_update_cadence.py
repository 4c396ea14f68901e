"""The update cadence: for a severity whose policy says "update every N minutes", the team owes a public update; when
one is overdue the assignee (else the queue's on-call and channels) is reminded once per period."""

from datetime import timedelta

import pytest

from escalation.models import SlaPolicy, TicketSlaState
from escalation.services import sla_sweep
from notifications.models import Notification
from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent
from tickets.workflow import Action

from ..factories import QueueFactory, TicketFactory, UserFactory, severity
from ..oncall.helpers import oncall_layer
from .conftest import T0

pytestmark = pytest.mark.django_db
E = TicketEvent.Kind
minutes = lambda n: timedelta(minutes=n)  # noqa: E731


@pytest.fixture
def cadence():
    return SlaPolicy.objects.create(
        severity=severity("SEV1"),
        acknowledge_within=timedelta(hours=4),
        resolve_within=timedelta(hours=24),
        update_every=minutes(30),
    )


@pytest.fixture
def sev1(clock, cadence, agent):
    return TicketFactory(queue=QueueFactory(members=[agent], default_assignee=agent), severity=severity("SEV1"))


def reminders(ticket: Ticket) -> list[str]:
    return list(Notification.objects.filter(ticket=ticket, key__startswith="update:").values_list("key", flat=True))


def overdue_notes(ticket: Ticket) -> list[str]:
    rows = TicketEvent.objects.filter(ticket=ticket, kind=E.UPDATE_OVERDUE).order_by("pk")
    return [e.data["reminded"] for e in rows]


def next_update(ticket: Ticket):
    ticket.refresh_from_db()
    return ticket.next_update_due_at


def test_a_sev1_owes_an_update_a_period_after_filing_and_a_public_comment_resets_it(sev1, clock, agent):
    assert next_update(sev1) == T0 + minutes(30)
    clock.shift(minutes(20))
    ticket_services.comment_add(ticket=sev1, author=agent, body="We are on it; next update at 10:50.")
    assert next_update(sev1) == T0 + minutes(50)
    clock.shift(minutes(10))
    ticket_services.comment_add(ticket=sev1, author=agent, body="Looks like the load balancer.", is_internal=True)
    assert next_update(sev1) == T0 + minutes(50)  # an internal note tells the requester nothing
    ticket_services.comment_add(ticket=sev1, author=sev1.requester, body="Any news?")
    assert next_update(sev1) == T0 + minutes(50)  # nor is the requester's own comment an update


def test_severities_without_a_cadence_owe_no_update(clock, cadence, queue):
    assert next_update(TicketFactory(queue=queue)) is None


def test_an_overdue_update_reminds_the_assignee_once_per_period_under_a_rerun_sweep(sev1, clock, agent):
    clock.shift(minutes(31))
    assert (sla_sweep(), sla_sweep()) == (1, 0)
    due = (T0 + minutes(30)).isoformat()
    assert reminders(sev1) == [f"update:{sev1.pk}:{due}:user:{agent.pk}"]
    assert overdue_notes(sev1) == [f"the assignee, {agent.display_name}"]
    assert next_update(sev1) == T0 + minutes(60)
    clock.shift(minutes(30))  # still no update: the next period is overdue too
    assert (sla_sweep(), sla_sweep()) == (1, 0)
    assert len(reminders(sev1)) == len(overdue_notes(sev1)) == 2
    mail = Notification.objects.filter(ticket=sev1, key__startswith="update:").order_by("pk").first()
    assert mail.reason == "Update overdue: a public update was due 2026-03-02 10:30 UTC"


def test_a_sweep_down_for_hours_reminds_once_and_owes_the_next_period_ahead(sev1, clock):
    clock.shift(minutes(190))  # short of the response warning (80% of four hours)
    assert sla_sweep() == 1
    assert len(reminders(sev1)) == 1
    assert next_update(sev1) == T0 + minutes(210)


def test_an_unassigned_ticket_reminds_the_queues_on_call(clock, cadence, agent):
    queue = QueueFactory(members=[agent])
    oncall_layer(queue, "Primary", agent, shift="daily", start=T0.date() - timedelta(days=1))
    ticket = TicketFactory(queue=queue, severity=severity("SEV1"))
    clock.shift(minutes(31))
    sla_sweep()
    assert overdue_notes(ticket) == [f"the on-call, {agent.display_name}, and the queue's channels"]
    assert reminders(ticket) == [f"update:{ticket.pk}:{(T0 + minutes(30)).isoformat()}:user:{agent.pk}"]


def test_no_update_is_owed_while_paused_or_once_resolved(sev1, clock, agent):
    clock.shift(minutes(10))
    ticket = ticket_services.ticket_transition(ticket=sev1, actor=agent, action=Action.WAIT_ON_REQUESTER)
    assert next_update(ticket) is None
    clock.shift(minutes(60))
    assert sla_sweep() == 0
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.START)
    assert next_update(ticket) == T0 + minutes(100)  # a whole period from the moment work resumed
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.RESOLVE, note="Fixed")
    assert next_update(ticket) is None
    clock.shift(minutes(60))
    assert sla_sweep() == 0
    assert reminders(ticket) == []
    assert TicketSlaState.objects.get(ticket=ticket).next_check_at is None


def test_a_policy_that_drops_its_cadence_stops_the_reminders(sev1, clock, cadence):
    cadence.update_every = None
    cadence.save()
    clock.shift(minutes(31))
    assert sla_sweep() == 0
    assert next_update(sev1) is None
    assert reminders(sev1) == []


def test_a_new_severity_with_a_cadence_starts_one(clock, cadence, agent, queue):
    ticket = TicketFactory(queue=queue)
    clock.shift(minutes(5))
    ticket_services.ticket_update(ticket=ticket, actor=agent, severity=severity("SEV1"))
    assert next_update(ticket) == T0 + minutes(35)
    ticket_services.ticket_update(ticket=ticket, actor=agent, severity=severity("SEV3"))
    assert next_update(ticket) is None


def test_a_reminder_reaches_someone_even_without_any_on_call(clock, cadence):
    nobody_on_call = QueueFactory(members=[UserFactory()])
    ticket = TicketFactory(queue=nobody_on_call, severity=severity("SEV1"))
    clock.shift(minutes(31))
    assert sla_sweep() == 1
    assert overdue_notes(ticket) == ["the queue's channels"]


def test_the_admin_edits_the_pauses_and_the_cadence(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/escalation/slapolicy/add/").content.decode()
    assert "Off by default: to the requester, time spent waiting on AWS Support" in page
    form = {"severity": severity("SEV2").pk, "acknowledge_within": "00:15:00", "resolve_within": "04:00:00"}
    form |= {"warn_at": 80, "pause_on_requester": "on", "update_every": "00:00:30"}
    response = client.post("/admin/escalation/slapolicy/add/", form)
    assert "Use at least one minute." in response.content.decode()
    client.post("/admin/escalation/slapolicy/add/", form | {"update_every": "00:30:00", "pause_on_aws": "on"})
    saved = SlaPolicy.objects.get(severity=severity("SEV2"))
    assert (saved.pause_on_requester, saved.pause_on_aws, saved.update_every) == (True, True, minutes(30))
