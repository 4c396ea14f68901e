"""Escalation chains stepping on a frozen clock: every step in turn, stopped by acknowledgement, stale tokens, lost
steps run by the sweep."""

from datetime import timedelta

import pytest

from accounts.roles import Role
from escalation.models import TicketEscalation
from escalation.services import escalation_start, escalation_step, escalations_sweep
from integrations import tasks as aws_tasks
from integrations.models import SupportCase
from notifications.models import Channel, Notification
from tickets import services as ticket_services
from tickets.models import TicketEvent
from tickets.workflow import Action

from ..factories import QueueFactory, TicketFactory, UserFactory
from ..integrations.cases_fakes import BUSINESS_SEVERITIES, case_account, moto_support, production_ticket
from ..oncall.helpers import oncall_layer
from .conftest import escalation_policy, queued_cases, queued_steps

pytestmark = pytest.mark.django_db
minutes = lambda n: timedelta(minutes=n)  # noqa: E731


@pytest.fixture
def team(agent):
    """A queue whose tickets go to `agent`, with a colleague on call this week and a manager."""
    oncall, boss = UserFactory(role=Role.AGENT), UserFactory(role=Role.MANAGER)
    queue = QueueFactory(name="Payments", members=[agent, oncall, boss], default_assignee=agent)
    oncall_layer(queue, "Primary", oncall)
    return queue, oncall, boss


@pytest.fixture
def chain():
    return escalation_policy(
        ("notify_assignee", minutes(0)),
        ("notify_oncall", minutes(10)),
        ("notify_managers", minutes(20)),
        ("open_aws_case", minutes(30), "urgent"),
    )


def escalations(ticket) -> list[str]:
    return [e.data["reason"] for e in TicketEvent.objects.filter(ticket=ticket, kind="escalated").order_by("pk")]


def mailed(ticket) -> list[str]:
    # people are paged (paging/): without rules of their own or a team default, by email at once
    rows = Notification.objects.filter(ticket=ticket, key__startswith="page:").order_by("pk")
    return [n.email for n in rows]


def step_when_due(clock) -> str:
    """What the broker would do: wait the countdown of the last step queued, then run it."""
    pk, token, countdown = queued_steps()[-1]
    clock.shift(timedelta(seconds=countdown))
    return escalation_step(ticket_escalation_id=pk, token=token)


def test_the_chain_runs_every_step_on_its_timer(clock, team, chain, agent):
    queue, oncall, boss = team
    ticket = TicketFactory(queue=queue)
    run = escalation_start(ticket=ticket, policy=chain, reason="Production is down")
    assert [step_when_due(clock) for _ in range(4)] == ["ran"] * 4
    assert [countdown for *_, countdown in queued_steps()] == [0, 600, 1200, 1800]
    assert escalations(ticket) == [
        f"Page, step 1 of 4: the assignee, {agent.display_name}. Started because: Production is down.",
        f"Page, step 2 of 4: the on-call of Payments, {oncall.display_name} (Primary). Started because: Production "
        "is down.",
        f"Page, step 3 of 4: the managers: {boss.display_name}. Started because: Production is down.",
        "Page, step 4 of 4: AWS Support, a case up to production system down. Started because: Production is down.",
    ]
    assert mailed(ticket) == [agent.email, oncall.email, boss.email]
    assert queued_cases() == [(ticket.pk, "urgent", "Escalation policy Page")]
    ticket.refresh_from_db()
    run.refresh_from_db()
    assert ticket.escalation_level == 4
    assert (run.next_step, run.next_at, run.stop_reason) == (4, None, "Every step ran.")


def test_acknowledgement_stops_the_chain_and_the_queued_step_finds_its_token_stale(clock, team, chain, agent):
    ticket = TicketFactory(queue=team[0])
    run = escalation_start(ticket=ticket, policy=chain, reason="SLA breached")
    step_when_due(clock)
    clock.shift(minutes(3))
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)
    run.refresh_from_db()
    assert (run.stopped_at is not None, run.stop_reason, run.next_at) == (True, "Acknowledged.", None)
    assert step_when_due(clock) == "stale"
    assert len(escalations(ticket)) == 1


def test_resolving_stops_the_chain(clock, team, chain, agent):
    ticket = TicketFactory(queue=team[0])
    run = escalation_start(ticket=ticket, policy=chain, reason="SLA breached")
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.RESOLVE, note="Restarted")
    run.refresh_from_db()
    assert run.stop_reason == "Resolved."
    assert step_when_due(clock) == "stale"


def test_a_step_delivered_twice_runs_once(clock, team, chain):
    ticket = TicketFactory(queue=team[0])
    run = escalation_start(ticket=ticket, policy=chain, reason="SLA breached")
    token = str(run.token)
    assert escalation_step(ticket_escalation_id=run.pk, token=token) == "ran"
    assert escalation_step(ticket_escalation_id=run.pk, token=token) == "stale"
    assert len(escalations(ticket)) == 1


def test_a_running_escalation_is_not_restarted_but_a_stopped_one_is(clock, team, chain, agent):
    ticket = TicketFactory(queue=team[0])
    first = escalation_start(ticket=ticket, policy=chain, reason="Response SLA breached")
    again = escalation_start(ticket=ticket, policy=chain, reason="Resolution SLA breached")
    assert (again.pk, again.token, again.reason) == (first.pk, first.token, "Response SLA breached")
    assert len(queued_steps()) == 1
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)
    restarted = escalation_start(ticket=ticket, policy=chain, reason="Resolution SLA breached")
    assert (restarted.pk, restarted.next_step, restarted.stopped_at) == (first.pk, 0, None)
    assert restarted.token != first.token
    assert len(queued_steps()) == 2


def test_a_closed_ticket_starts_nothing(clock, team, chain, agent):
    ticket = TicketFactory(queue=team[0])
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action=Action.RESOLVE, note="Fixed")
    assert escalation_start(ticket=ticket, policy=chain, reason="Rule") is None
    assert not TicketEscalation.objects.exists()


def test_the_sweep_runs_a_step_whose_task_was_lost(clock, team, chain, agent):
    ticket = TicketFactory(queue=team[0])
    run = escalation_start(ticket=ticket, policy=chain, reason="SLA breached")
    lost_token = str(run.token)
    clock.shift(timedelta(seconds=30))
    assert escalations_sweep() == 0  # the task may still be on its way
    clock.shift(minutes(2))
    assert (escalations_sweep(), escalations_sweep()) == (1, 0)
    assert len(escalations(ticket)) == 1
    assert escalation_step(ticket_escalation_id=run.pk, token=lost_token) == "stale"  # the task turns up at last
    assert step_when_due(clock) == "ran"  # and the chain goes on from where the sweep left it
    assert mailed(ticket) == [agent.email, team[1].email]


def test_a_step_with_nobody_to_tell_still_says_so_on_the_timeline(clock, chain):
    ticket = TicketFactory()  # nobody assigned, no rotation
    run = escalation_start(ticket=ticket, policy=chain, reason="Rule")
    step_when_due(clock)
    step_when_due(clock)
    assert [r.split(": ", 1)[1].split(". ")[0] for r in escalations(ticket)] == [
        "the assignee: nobody is assigned",
        f"the on-call of {ticket.queue.name}: nobody is on call",
    ]
    assert mailed(ticket) == []
    run.refresh_from_db()
    assert run.next_step == 2


def test_a_channel_step_tells_the_channel(clock, team):
    ops = Channel.objects.create(name="ops", kind="email", email_addresses="ops@example.com")
    ticket = TicketFactory(queue=team[0])
    run = escalation_start(ticket=ticket, policy=escalation_policy(("notify_channel", minutes(5))), reason="Rule")
    run.policy.steps.update(channel=ops)
    assert step_when_due(clock) == "ran"
    assert escalations(ticket) == ["Page, step 1 of 1: Email “ops”. Started because: Rule."]
    assert Notification.objects.filter(ticket=ticket, key__startswith="escalation:", channel=ops).count() == 1


def test_an_aws_step_opens_a_case_within_the_plan_after_the_commit(clock, settings, monkeypatch, queue):
    with moto_support(settings, monkeypatch):
        ticket = production_ticket(case_account(severities=BUSINESS_SEVERITIES, support_plan="business"), queue)
        run = escalation_start(
            ticket=ticket, policy=escalation_policy(("open_aws_case", minutes(0), "critical")), reason="Checkout down"
        )
        escalation_step(ticket_escalation_id=run.pk, token=run.token)
        [args] = queued_cases()
        assert args == (ticket.pk, "critical", "Escalation policy Page")
        opened = aws_tasks.support_case_open_automatically_task(*args)
    case = SupportCase.objects.get(ticket=ticket)
    assert opened == case.case_id
    assert (case.severity_code, case.opened_by) == ("urgent", None)  # the most a Business plan offers


def test_on_call_steps_page_the_primary_then_the_secondary_and_the_chain_repeats(clock, team, agent):
    queue, oncall, _ = team
    backup = UserFactory(role=Role.AGENT)
    oncall_layer(queue, "Secondary", backup)
    policy = escalation_policy(("notify_oncall", minutes(0)), ("notify_oncall", minutes(5)), name="Layers")
    first, second = policy.steps.order_by("position")
    first.oncall_layer, second.oncall_layer = 1, 2
    first.save()
    second.save()
    policy.repeat = 1
    policy.save()
    ticket = TicketFactory(queue=queue)
    run = escalation_start(ticket=ticket, policy=policy, reason="Down")
    assert [step_when_due(clock) for _ in range(4)] == ["ran"] * 4
    assert mailed(ticket) == [oncall.email, backup.email, oncall.email, backup.email]
    assert [countdown for *_, countdown in queued_steps()] == [0, 300, 300, 300]  # the repeat waits repeat_after
    assert escalations(ticket)[2].startswith("Layers, step 1 of 2 (repeat 1 of 1): the on-call of Payments (layer 1)")
    run.refresh_from_db()
    assert (run.round, run.stop_reason) == (1, "Every step ran 2 times.")
    assert step_when_due(clock) == "stale"


def test_an_all_layers_step_pages_everyone_on_call_once_each(clock, team):
    queue, oncall, _ = team
    oncall_layer(queue, "Secondary", oncall)  # the same person on both layers: one notice
    ticket = TicketFactory(queue=queue)
    escalation_start(ticket=ticket, policy=escalation_policy(("notify_oncall", minutes(0)), name="All"), reason="Down")
    step_when_due(clock)
    assert mailed(ticket) == [oncall.email]
    name = oncall.display_name
    assert f"the on-call of Payments, {name} (Primary), {name} (Secondary)." in escalations(ticket)[0]
