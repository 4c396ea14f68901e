from celery import shared_task

from integrations import services as aws_services
from integrations.aws.errors import RETRYABLE
from tickets.models import Ticket


@shared_task(acks_late=True, autoretry_for=RETRYABLE, retry_backoff=True, max_retries=8)
def rule_case_open_task(ticket_id: int, severity: str, rule_name: str) -> str:
    """Open the AWS case a rule asked for; the cases service refuses a second case for the ticket."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return "skipped: ticket gone"
    case = aws_services.support_case_open_automatically(ticket=ticket, wanted_severity=severity, reason=rule_name)
    return case.case_id if case else "not opened"
