"""Thin Celery wrappers, each safe to run twice (acks_late): steps carry a token that a second run finds stale, and
the sweeps record and run only what is still due."""

from celery import shared_task

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
