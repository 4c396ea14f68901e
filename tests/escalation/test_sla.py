"""SLA policies: due times on create and on change, warnings and breaches recorded once, escalation on breach."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation.models import SlaPolicy, TicketEscalation, TicketSlaState
from escalation.services import sla_sweep
from notifications.models import Notification
from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent
from tickets.workflow import Action

from ..factories import QueueFactory, TicketFactory, severity
from .conftest import T0, calendar, escalation_policy, queued_steps

pytestmark = pytest.mark.django_db
E = TicketEvent.Kind
HOUR, EIGHT_HOURS = timedelta(hours=1), timedelta(hours=8)
minutes = lambda n: timedelta(minutes=n)  # noqa: E731


def policy(sev: str = "SEV3", *, queue=None, ack=HOUR, resolve=EIGHT_HOURS, **fields) -> SlaPolicy:
    return SlaPolicy.objects.create(
        severity=severity(sev), queue=queue, acknowledge_within=ack, resolve_within=resolve, **fields
    )


def due_times(ticket: Ticket) -> tuple[datetime, datetime]:
    ticket.refresh_from_db()
    return ticket.response_due_at - T0, ticket.resolution_due_at - T0


def sla_events(ticket: Ticket) -> list[tuple[str, str]]:
    rows = TicketEvent.objects.filter(ticket=ticket, kind__in=[E.SLA_WARNED, E.SLA_BREACHED]).order_by("pk")
    return [(e.kind, e.data["target"]) for e in rows]


def test_without_a_policy_the_severitys_own_24x7_targets_apply(clock):
    ticket = TicketFactory(severity=severity("SEV3"))
    assert due_times(ticket) == (severity("SEV3").response_target, severity("SEV3").resolution_target)
    state = TicketSlaState.objects.get(ticket=ticket)
    assert (state.policy, state.response_warn_at, state.next_check_at) == (None, None, ticket.response_due_at)


def test_the_queues_own_policy_wins_over_the_one_for_any_queue(clock):
    own = QueueFactory()
    policy("SEV3", ack=minutes(120))
    policy("SEV3", queue=own, ack=minutes(30))
    assert due_times(TicketFactory(queue=own))[0] == minutes(30)
    assert due_times(TicketFactory())[0] == minutes(120)
    assert due_times(TicketFactory(severity=severity("SEV2")))[0] == severity("SEV2").response_target


def test_business_hours_push_a_friday_afternoon_ticket_to_monday(clock):
    policy(calendar=calendar(), ack=minutes(120), resolve=timedelta(hours=16))
    clock.move_to(datetime(2026, 3, 6, 16, 0, tzinfo=UTC))  # Friday 16:00 in London
    ticket = TicketFactory()
    assert ticket.response_due_at == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # the returned ticket, too
    assert ticket.resolution_due_at == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # 1 + 8 + 7 working hours
    state = TicketSlaState.objects.get(ticket=ticket)
    assert state.response_warn_at == datetime(2026, 3, 9, 9, 36, tzinfo=UTC)  # 80% of two working hours


def test_due_times_follow_a_change_of_severity(clock, agent, queue):
    policy("SEV1", ack=minutes(20), resolve=timedelta(hours=2))
    ticket = TicketFactory(queue=queue)
    clock.shift(minutes(10))
    ticket = ticket_services.ticket_update(ticket=ticket, actor=agent, severity=severity("SEV1"))
    assert (ticket.response_due_at - T0, ticket.resolution_due_at - T0) == (minutes(20), timedelta(hours=2))
    assert due_times(ticket) == (minutes(20), timedelta(hours=2))  # counted from filing, as before
    ticket_services.ticket_update(ticket=ticket, actor=agent, severity=severity("SEV2"))  # no policy: 24x7
    assert due_times(ticket) == (severity("SEV2").response_target, severity("SEV2").resolution_target)


def test_due_times_follow_a_change_of_queue(clock, agent, queue):
    faster = QueueFactory(members=[agent])
    policy("SEV3", queue=faster, ack=minutes(15))
    ticket = TicketFactory(queue=queue)
    ticket_services.ticket_update(ticket=ticket, actor=agent, queue=faster)
    assert due_times(ticket)[0] == minutes(15)
    ticket_services.ticket_update(ticket=ticket, actor=agent, queue=queue)
    assert due_times(ticket)[0] == severity("SEV3").response_target


def test_warning_and_breach_are_recorded_once_each_and_start_the_escalation(clock, agent):
    chain = escalation_policy(("notify_assignee", minutes(0)))
    policy(escalation_policy=chain)
    ticket = TicketFactory(queue=QueueFactory(members=[agent], default_assignee=agent))
    clock.shift(minutes(47))
    assert sla_sweep() == 0
    clock.shift(minutes(1))  # 80% of the hour
    assert (sla_sweep(), sla_sweep()) == (1, 0)
    assert sla_events(ticket) == [(E.SLA_WARNED, "response")]
    assert not TicketEscalation.objects.exists()
    clock.shift(minutes(12))
    assert (sla_sweep(), sla_sweep()) == (1, 0)
    assert sla_events(ticket) == [(E.SLA_WARNED, "response"), (E.SLA_BREACHED, "response")]
    run = TicketEscalation.objects.get(ticket=ticket)
    assert (run.policy, run.reason, run.stopped_at) == (chain, "Response SLA breached", None)
    assert queued_steps() == [(run.pk, str(run.token), 0)]
    mails = Notification.objects.filter(ticket=ticket, email=agent.email, key__startswith="sla:").order_by("pk")
    assert [n.reason for n in mails] == [
        "Response SLA breach approaching: due 2026-03-02 11:00 UTC",
        "Response SLA breached: due 2026-03-02 11:00 UTC",
    ]


def test_an_acknowledged_ticket_breaches_only_its_resolution_target(clock, agent, queue):
    policy(resolve=timedelta(hours=2))
    ticket = TicketFactory(queue=queue)
    clock.shift(minutes(30))
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)
    clock.shift(minutes(70))  # past the response target and 80% of resolution
    sla_sweep()
    clock.shift(minutes(30))
    sla_sweep()
    assert sla_events(ticket) == [(E.SLA_WARNED, "resolution"), (E.SLA_BREACHED, "resolution")]
    assert TicketSlaState.objects.get(ticket=ticket).next_check_at is None  # nothing left to record


def test_a_resolved_ticket_records_nothing_and_a_reopened_one_is_checked_again(clock, agent, queue, requester):
    ticket = TicketFactory(queue=queue, requester=requester)
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.RESOLVE, note="Done")
    assert TicketSlaState.objects.get(ticket=ticket).next_check_at is None
    clock.shift(timedelta(days=4))
    assert sla_sweep() == 0
    ticket_services.ticket_transition(ticket=ticket, actor=requester, action=Action.REOPEN, note="Still broken")
    assert sla_sweep() == 1
    assert sla_events(ticket) == [(E.SLA_BREACHED, "resolution")]


def test_a_breach_stands_while_true_and_a_later_target_gets_its_own(clock, agent, queue):
    policy("SEV1", ack=minutes(10))
    ticket = TicketFactory(queue=queue, severity=severity("SEV1"))
    clock.shift(minutes(15))
    sla_sweep()
    clock.shift(minutes(25))
    ticket = ticket_services.ticket_update(ticket=ticket, actor=agent, severity=severity("SEV2"))  # due at 30 min
    sla_sweep()
    assert sla_events(ticket) == [(E.SLA_BREACHED, "response")]  # still breached: not recorded again
    ticket_services.ticket_update(ticket=ticket, actor=agent, severity=severity("SEV3"))  # due at 4 hours
    sla_sweep()
    assert sla_events(ticket) == [(E.SLA_BREACHED, "response")]
    clock.shift(timedelta(hours=4))
    sla_sweep()
    due = [e.data["due_at"] for e in TicketEvent.objects.filter(ticket=ticket, kind=E.SLA_BREACHED).order_by("pk")]
    assert due == [(T0 + minutes(10)).isoformat(), (T0 + timedelta(hours=4)).isoformat()]


@pytest.mark.parametrize("rows", [2, 8])
def test_the_sweep_reads_a_batch_in_a_constant_number_of_queries(clock, agent, queue, rows):
    for _ in range(rows):  # acknowledged: looked at again, with nothing yet to record
        ticket_services.ticket_transition(ticket=TicketFactory(queue=queue), actor=agent, action=Action.ACKNOWLEDGE)
    with CaptureQueriesContext(connection) as queries:
        assert sla_sweep(batch_size=50) == 0
    assert len(queries) == 5  # savepoint, states, tickets, one bulk update, release
    assert not TicketSlaState.objects.filter(next_check_at__lte=T0).exists()


def test_the_sweep_goes_batch_by_batch_until_nothing_is_due(clock, queue):
    tickets = TicketFactory.create_batch(5, queue=queue)
    clock.shift(timedelta(hours=5))
    assert sla_sweep(batch_size=2) == 5
    assert all(sla_events(t) == [(E.SLA_BREACHED, "response")] for t in tickets)
