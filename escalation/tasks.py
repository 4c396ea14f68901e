"""Thin Celery wrappers, each safe to run twice (acks_late): steps carry a token that a second run finds stale, and
the sweeps record and run only what is still due."""

from celery import shared_task

from integrations.aws.errors import RETRYABLE
from integrations.services import support_case_open_automatically
from tickets.models import Ticket

from . import services


@shared_task(acks_late=True)
def sla_sweep_task() -> int:
    """Every minute (admin-editable in Periodic tasks): record SLA warnings and breaches now due."""
    return services.sla_sweep()


@shared_task(acks_late=True)
def escalation_step_task(ticket_escalation_id: int, token: str) -> str:
    return services.escalation_step(ticket_escalation_id=ticket_escalation_id, token=token)


@shared_task(acks_late=True)
def escalations_sweep_task() -> int:
    """Every minute (admin-editable in Periodic tasks): run the escalation steps whose task was lost."""
    return services.escalations_sweep()


@shared_task(acks_late=True, autoretry_for=RETRYABLE, retry_backoff=True, max_retries=8)
def escalation_case_open_task(ticket_id: int, severity: str, reason: str) -> str:
    """Open the AWS case an escalation step asked for; the cases service refuses a second case for the ticket."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return "skipped: ticket gone"
    case = support_case_open_automatically(ticket=ticket, wanted_severity=severity, reason=reason)
    return (case.case_id or "opening") if case else "not opened"
