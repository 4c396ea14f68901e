"""AWS Support cases: the periodic sync and the automatic opening (names as they were in integrations.tasks)."""

from celery import shared_task
from django.db.models import Q

from tickets.models import Ticket

from ..accounts.models import ApiState, AwsAccount
from ..accounts.tasks import LONG, RETRY, fan_out, poll_once
from . import services
from .models import SupportCase


@shared_task(name="integrations.tasks.support_cases_sync_task", **RETRY, **LONG)
def support_cases_sync_task(account_id: int) -> str:
    return poll_once("support_cases", account_id, lambda a: services.support_cases_sync(account=a))


@shared_task(name="integrations.tasks.support_cases_sync_all_task", acks_late=True)
def support_cases_sync_all_task() -> int:
    """Every 5 minutes (admin-editable in Periodic tasks), each on its own: every account whose plan has the Support
    API (its cases opened outside Supportdesk are looked for), and any other with a case opening or open."""
    live = SupportCase.objects.filter(state__in=[SupportCase.State.OPENING, SupportCase.State.OPEN])
    wanted = Q(support_api=ApiState.AVAILABLE) | Q(pk__in=live.values("account_id"))
    return fan_out(support_cases_sync_task, AwsAccount.objects.filter(wanted, enabled=True))


@shared_task(name="integrations.tasks.support_case_open_automatically_task", **RETRY)
def support_case_open_automatically_task(ticket_id: int, severity: str, reason: str) -> str:
    """Open the AWS case a rule or an escalation step asked for, after the change that asked committed; the cases
    service refuses a second case for the ticket, so a re-run opens nothing more."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return "skipped: ticket gone"
    case = services.support_case_open_automatically(ticket=ticket, wanted_severity=severity, reason=reason)
    return (case.case_id or "opening") if case else "not opened"
