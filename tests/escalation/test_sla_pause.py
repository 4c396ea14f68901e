"""SLA pauses: the clocks stand still while a ticket waits on the requester (or on AWS, where the policy says so),
and the due times move later by the time waited, in working time with a calendar."""

from datetime import UTC, datetime, timedelta

import pytest

from escalation.calendars import working_time
from escalation.models import SlaPolicy, TicketSlaState
from escalation.services import sla_sweep
from tickets import services as ticket_services
from tickets.filters import breaching_q
from tickets.models import Ticket, TicketEvent
from tickets.workflow import Action

from ..factories import QueueFactory, TicketFactory, severity
from .conftest import T0, calendar

pytestmark = pytest.mark.django_db
E = TicketEvent.Kind
HOUR = timedelta(hours=1)
minutes = lambda n: timedelta(minutes=n)  # noqa: E731
FRIDAY_10 = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)  # London keeps GMT until the end of March


def policy(sev: str = "SEV3", *, ack=HOUR, resolve=timedelta(hours=8), **fields) -> SlaPolicy:
    return SlaPolicy.objects.create(severity=severity(sev), acknowledge_within=ack, resolve_within=resolve, **fields)


def wait(ticket: Ticket, action: str = Action.WAIT_ON_REQUESTER, actor=None) -> Ticket:
    return ticket_services.ticket_transition(ticket=ticket, actor=actor, action=action)


def resumed(ticket: Ticket) -> list[tuple[str, int]]:
    rows = TicketEvent.objects.filter(ticket=ticket, kind=E.SLA_RESUMED).order_by("pk")
    return [(e.data["waited_on"], e.data["paused_seconds"]) for e in rows]


def sla_events(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind__in=[E.SLA_WARNED, E.SLA_BREACHED]).values_list("kind"))


def test_the_requesters_reply_resumes_the_clock_and_moves_the_due_time_by_the_wait(clock, agent, queue, requester):
    policy()
    ticket = TicketFactory(queue=queue, requester=requester)
    clock.shift(minutes(30))
    wait(ticket, actor=agent)  # an agent's move acknowledges: the response clock has stopped
    ticket.refresh_from_db()
    assert (ticket.sla_paused_since, ticket.status) == (T0 + minutes(30), Ticket.Status.WAITING_REQUESTER)
    clock.shift(timedelta(hours=3, minutes=20))
    ticket_services.comment_add(ticket=ticket, author=requester, body="Here are the logs.")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS  # the reply brings it back to the agents
    assert ticket.sla_paused_since is None
    assert ticket.sla_paused_for == timedelta(hours=3, minutes=20)
    assert ticket.resolution_due_at == T0 + timedelta(hours=11, minutes=20)
    assert ticket.response_due_at == T0 + HOUR  # acknowledged before the wait: not moved
    assert resumed(ticket) == [("Waiting on requester", 12000)]


def test_a_calendar_moves_the_due_time_by_the_working_time_paused_across_a_weekend(clock):
    policy(calendar=calendar(), ack=timedelta(hours=8), resolve=timedelta(hours=16))
    clock.move_to(FRIDAY_10)
    ticket = TicketFactory()
    assert ticket.resolution_due_at == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # 7 + 8 + 1 working hours
    clock.move_to(datetime(2026, 3, 6, 15, 0, tzinfo=UTC))  # Friday 15:00, not acknowledged (the system moves it)
    wait(ticket)
    clock.move_to(datetime(2026, 3, 9, 11, 0, tzinfo=UTC))  # Monday 11:00
    wait(ticket, Action.START)
    ticket.refresh_from_db()
    # Friday 15-17 and Monday 9-11: four working hours, not the 68 on the wall clock
    assert ticket.sla_paused_for == timedelta(hours=4)
    assert ticket.resolution_due_at == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    # The response clock ran too (nobody acknowledged): three working hours were left, from Monday 11:00
    assert ticket.response_due_at == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    state = TicketSlaState.objects.get(ticket=ticket)
    assert state.response_paused_for == timedelta(hours=4)
    assert state.resolution_warn_at == datetime(2026, 3, 10, 10, 48, tzinfo=UTC)  # 80% of 16 h, then 4 h more


def test_without_a_calendar_a_weekend_wait_counts_every_hour(clock, agent, queue):
    policy(resolve=timedelta(days=3))
    clock.move_to(FRIDAY_10)
    ticket = wait(TicketFactory(queue=queue), actor=agent)
    clock.move_to(datetime(2026, 3, 9, 11, 0, tzinfo=UTC))
    wait(ticket, Action.START, actor=agent)
    ticket.refresh_from_db()
    assert ticket.sla_paused_for == timedelta(days=3, hours=1)
    assert ticket.resolution_due_at == FRIDAY_10 + timedelta(days=6, hours=1)


def test_pauses_add_up_and_each_is_on_the_timeline(clock, agent, queue):
    policy(pause_on_aws=True)
    ticket = TicketFactory(queue=queue)
    clock.shift(minutes(10))
    wait(ticket, actor=agent)
    clock.shift(minutes(50))
    wait(ticket, Action.WAIT_ON_AWS, actor=agent)  # from one wait to another: each pause named for its own
    clock.shift(minutes(30))
    wait(ticket, Action.START, actor=agent)
    clock.shift(minutes(20))
    wait(ticket, actor=agent)
    clock.shift(minutes(15))
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.RESOLVE, note="Fixed")
    ticket.refresh_from_db()
    assert resumed(ticket) == [("Waiting on requester", 3000), ("Waiting on AWS", 1800), ("Waiting on requester", 900)]
    assert ticket.sla_paused_for == minutes(95)
    assert ticket.resolution_due_at == T0 + timedelta(hours=8) + minutes(95)  # resolving ends the pause too


def test_waiting_on_aws_runs_the_clock_unless_the_policy_pauses_it(clock, agent, queue):
    assert SlaPolicy().pause_on_requester and not SlaPolicy().pause_on_aws
    ticket = wait(TicketFactory(queue=queue), Action.WAIT_ON_AWS, actor=agent)
    assert ticket.sla_paused_since is None
    policy("SEV2", pause_on_aws=True, pause_on_requester=False)
    other = wait(TicketFactory(queue=queue, severity=severity("SEV2")), Action.WAIT_ON_AWS, actor=agent)
    assert other.sla_paused_since == T0
    requester_wait = wait(TicketFactory(queue=queue, severity=severity("SEV2")), actor=agent)
    assert requester_wait.sla_paused_since is None


def test_without_a_policy_a_requester_wait_pauses_the_severitys_own_targets(clock, agent, queue):
    ticket = wait(TicketFactory(queue=queue), actor=agent)
    clock.shift(HOUR)
    wait(ticket, Action.START, actor=agent)
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == T0 + severity("SEV3").resolution_target + HOUR


def test_no_warning_or_breach_is_recorded_while_paused(clock, queue):
    policy(ack=HOUR, resolve=timedelta(hours=2))
    ticket = TicketFactory(queue=queue)
    clock.shift(minutes(10))
    wait(ticket)  # by the system: the response clock pauses too
    assert TicketSlaState.objects.get(ticket=ticket).next_check_at is None  # the sweep does not even read it
    clock.shift(timedelta(hours=5))
    assert sla_sweep() == 0
    ticket.refresh_from_db()
    assert not ticket.is_breaching()
    assert not Ticket.objects.filter(breaching_q(), pk=ticket.pk).exists()
    wait(ticket, Action.START)
    ticket.refresh_from_db()
    assert ticket.response_due_at == T0 + timedelta(hours=6)  # 50 minutes left when it paused, 50 after resuming
    clock.shift(minutes(45))
    assert (sla_sweep(), sla_events(ticket)) == (1, [(E.SLA_WARNED,)])  # 80% of the hour, counted without the wait
    clock.shift(minutes(6))
    assert sla_sweep() == 1
    assert sla_events(ticket) == [(E.SLA_WARNED,), (E.SLA_BREACHED,)]


def test_a_breach_before_the_pause_stays_a_breach(clock, queue):
    policy(ack=HOUR)
    ticket = TicketFactory(queue=queue)
    clock.shift(minutes(70))
    assert sla_sweep() == 1  # the response breach
    ticket = wait(ticket)
    assert ticket.is_breaching()  # it was late before it waited
    clock.shift(HOUR)
    wait(ticket, Action.START)
    ticket.refresh_from_db()
    assert ticket.response_due_at == T0 + 2 * HOUR
    assert ticket.is_breaching()
    assert sla_sweep() == 0  # recorded once


def test_a_change_of_severity_while_paused_keeps_the_clock_paused(clock, agent, queue):
    policy("SEV2", ack=minutes(30), resolve=timedelta(hours=4))
    ticket = TicketFactory(queue=queue)
    clock.shift(minutes(10))
    wait(ticket, actor=agent)
    clock.shift(minutes(20))
    ticket = ticket_services.ticket_update(ticket=ticket, actor=agent, severity=severity("SEV2"))
    assert ticket.sla_paused_since == T0 + minutes(10)
    clock.shift(HOUR)
    wait(ticket, Action.START, actor=agent)
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == T0 + timedelta(hours=5, minutes=20)  # four hours from filing, plus 80 minutes


def test_working_time_counts_only_working_hours_and_skips_holidays():
    week = calendar().working_week()
    friday, tuesday = datetime(2026, 3, 6, 16, 0, tzinfo=UTC), datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    assert working_time(friday, tuesday, week) == timedelta(hours=10)  # 1 + 8 + 1
    assert working_time(tuesday, friday, week) == timedelta(0)
    assert working_time(friday, tuesday, None) == tuesday - friday


@pytest.mark.parametrize("rows", [2, 8])
def test_the_sweep_reads_paused_and_running_clocks_in_a_constant_number_of_queries(
    clock, agent, rows, django_assert_max_num_queries
):
    queue = QueueFactory(members=[agent])
    policy(pause_on_aws=True)
    for n in range(rows):
        ticket = ticket_services.ticket_transition(ticket=TicketFactory(queue=queue), actor=agent, action="acknowledge")
        if n % 2:
            wait(ticket, actor=agent)
    with django_assert_max_num_queries(5):  # savepoint, states, tickets, one bulk update, release
        assert sla_sweep(batch_size=50) == 0
