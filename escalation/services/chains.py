"""Escalation chains: a ticket steps through its policy, one step per timer, until someone acknowledges it.

Locks are taken in one order everywhere: the ticket, then its SLA state, then its escalation.
"""

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from django.db import transaction
from django.utils import timezone

from integrations.cases.tasks import support_case_open_automatically_task
from notifications.models import Channel
from notifications.services import notices_all_held, notify
from oncall.selectors import oncall_people
from paging.services import page_start
from supportdesk.commit import after_commit_robust
from tickets import services as ticket_services
from tickets.models import Ticket
from tickets.selectors import queue_managers

from ..models import EscalationPolicy, EscalationStep, TicketEscalation

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)
LOST_AFTER = timedelta(minutes=1)  # a step this late lost its task (broker outage, dead worker): the sweep runs it
SWEEP_BATCH = 200
A = EscalationStep.Action


def _schedule(run: TicketEscalation, delay: timedelta) -> None:
    from ..tasks import escalation_step_task  # tasks import this module

    # A broker outage must not undo the change: the sweep runs the step
    after_commit_robust(
        escalation_step_task.apply_async, args=[run.pk, str(run.token)], countdown=delay.total_seconds()
    )


def _locked_ticket(ticket_id: int) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",)).select_related("queue", "assignee", "severity").get(pk=ticket_id)
    )


@transaction.atomic
def escalation_start(
    *, ticket: Ticket, policy: EscalationPolicy, reason: str, now: datetime | None = None
) -> TicketEscalation | None:
    """Start the policy's chain for the ticket. An escalation already running goes on as it is; a closed ticket or
    a policy without steps starts nothing (None)."""
    if notices_all_held():  # a replayed history (the demo's ninety days) pages nobody about the past
        return None
    now = now or timezone.now()
    ticket = _locked_ticket(ticket.pk)
    steps = list(policy.steps.all())
    if not ticket.is_open or not steps:
        return None
    # With the ticket locked, two starts cannot both find no escalation and both create one
    run = TicketEscalation.objects.select_for_update().filter(ticket=ticket).first()
    if run is not None and run.is_active:
        return run
    run = run or TicketEscalation(ticket=ticket)
    run.policy, run.reason, run.next_step, run.round, run.token = policy, reason[:200], 0, 0, uuid4()
    run.started_at, run.next_at, run.stopped_at, run.stop_reason = now, now + steps[0].delay, None, ""
    run.save()
    _schedule(run, steps[0].delay)
    return run


def escalation_stop(*, ticket: Ticket, reason: str, now: datetime | None = None) -> bool:
    """Stop the ticket's running escalation; a step already queued finds its token stale. One UPDATE, so it needs
    no transaction of its own: called inside the change that stops it (an acknowledgement, a resolution)."""
    running = TicketEscalation.objects.filter(ticket_id=ticket.pk, stopped_at__isnull=True)
    return bool(running.update(stopped_at=now or timezone.now(), stop_reason=reason[:200], next_at=None, token=uuid4()))


def _audience(step: EscalationStep, ticket: Ticket, now: datetime) -> tuple[str, list["User"], list[Channel]]:
    """Whom a notifying step tells: words for the timeline, the people, the channels."""
    if step.action == A.NOTIFY_ASSIGNEE:
        if ticket.assignee is None:  # no query when there is no assignee_id
            return "the assignee: nobody is assigned", [], []
        return f"the assignee, {ticket.assignee.display_name}", [ticket.assignee], []
    if step.action == A.NOTIFY_ONCALL:
        on_call = oncall_people(queue_id=ticket.queue_id, at=now, layer=step.oncall_layer)
        which = f"the on-call of {ticket.queue.name}" + (f" (layer {step.oncall_layer})" if step.oncall_layer else "")
        if not on_call:
            return f"{which}: nobody is on call", [], []
        names = ", ".join(f"{person.display_name} ({layer.name})" for layer, person in on_call)
        people = list(dict.fromkeys(person for _, person in on_call))  # one notice for someone on two layers
        return f"{which}, {names}", people, []
    if step.action == A.NOTIFY_CHANNEL:
        channel = step.channel
        assert channel is not None  # a notify-a-channel step names its channel
        disabled = "" if channel.enabled else " (disabled: nothing sent)"
        return f"{channel.label}{disabled}", [], [channel]
    managers = queue_managers(queue=ticket.queue)
    names = ", ".join(m.display_name for m in managers) or "there are none"
    return f"the managers: {names}", managers, []


def _run(run: TicketEscalation, step: EscalationStep, number: int, of: int, ticket: Ticket, now: datetime) -> None:
    people: list[User]
    channels: list[Channel]
    if step.action == A.OPEN_AWS_CASE:
        args = [ticket.pk, step.aws_severity, f"Escalation policy {run.policy.name}"]
        after_commit_robust(support_case_open_automatically_task.delay, *args)  # AWS is called after
        target, people, channels = f"AWS Support, a case up to {step.get_aws_severity_display().lower()}", [], []
    else:
        target, people, channels = _audience(step, ticket, now)
    again = f" (repeat {run.round} of {run.policy.repeat})" if run.round else ""
    reason = f"{run.policy.name}, step {number} of {of}{again}: {target}. Started because: {run.reason}."
    ticket_services.ticket_escalate(ticket=ticket, actor=None, reason=reason)
    cause = f"escalation:{run.pk}:{run.token}"  # this step of this run, once
    why = f"Escalated ({run.policy.name}, step {number} of {of}): please acknowledge"
    for person in people:  # people are paged by their own rules (SMS, calls, email) until someone acknowledges
        page_start(ticket=ticket, user=person, reason=why, key=f"{cause}:user:{person.pk}", now=now)
    if channels:  # the queue's channels hear of every escalation from notifications' own receiver
        notify(ticket=ticket, reason=why, key=cause, channels=channels, link_path=ticket.get_absolute_url())


def escalation_step(*, ticket_escalation_id: int, token: UUID | str, now: datetime | None = None) -> str:
    """Run the step the token was issued for, then schedule the next. A stale token (the step ran already, the
    escalation stopped or restarted) does nothing. Returns what happened, for the task's result."""
    ticket_id = TicketEscalation.objects.filter(pk=ticket_escalation_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        return "gone"
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id)
        run = (
            TicketEscalation.objects.select_for_update(of=("self",))
            .select_related("policy")
            .filter(pk=ticket_escalation_id, token=token, stopped_at__isnull=True)
            .first()
        )
        if run is None:
            return "stale"
        now = now or timezone.now()
        steps = list(run.policy.steps.select_related("channel"))
        if not ticket.is_open or run.next_step >= len(steps):
            escalation_stop(ticket=ticket, reason="The ticket is closed." if not ticket.is_open else "No steps left.")
            return "stopped"
        _run(run, steps[run.next_step], run.next_step + 1, len(steps), ticket, now)
        run.next_step += 1
        run.token = uuid4()
        if run.next_step < len(steps):
            delay = steps[run.next_step].delay
        elif run.round < run.policy.repeat:
            # Nobody acknowledged: the chain runs again from its first step, after the policy's pause
            run.round, run.next_step = run.round + 1, 0
            delay = run.policy.repeat_after + steps[0].delay
        else:
            run.next_at, run.stopped_at, run.stop_reason = None, now, _every_step_ran(run)
            run.save()
            return "ran"
        run.next_at = now + delay
        _schedule(run, delay)
        run.save()
        return "ran"


def _every_step_ran(run: TicketEscalation) -> str:
    return f"Every step ran {run.round + 1} times." if run.round else "Every step ran."


def escalations_sweep(*, now: datetime | None = None, batch_size: int = SWEEP_BATCH) -> int:
    """Run the steps whose task was lost. Each runs in its own transaction; a failing one does not hold up the
    others, and the next sweep tries it again."""
    now = now or timezone.now()
    late = TicketEscalation.objects.filter(stopped_at__isnull=True, next_at__lte=now - LOST_AFTER)
    ran = 0
    for pk, token in late.order_by("next_at").values_list("pk", "token")[:batch_size]:
        try:
            ran += escalation_step(ticket_escalation_id=pk, token=token, now=now) == "ran"
        except Exception:
            logger.exception("Escalation %s: the step failed; the next sweep tries again.", pk)
    return ran
