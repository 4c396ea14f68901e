"""What a notification says. Built once, when it is enqueued, from the ticket as it is then: a retry an hour
later tells the same story."""

from datetime import datetime
from functools import cache
from typing import Any, cast

from django.conf import settings
from django.utils.module_loading import import_string

from tickets.models import Ticket
from tickets.workflow import Action, transition_for

from .models import Notification
from .slack import ACKNOWLEDGE, ASSIGN_ME, ESCALATE, RESOLVE, TicketCard, cut

NOTICE = "notice"  # raised by a rule, an escalation step or a timer through notify(); the reason says which
SUBJECT_MAX = cast(int, Notification._meta.get_field("subject").max_length)
TICKET_FIELDS = ("reference", "title", "status", "severity", "queue", "environment", "account", "kind")


def link_for(path: str) -> str:
    return f"{getattr(settings, 'SITE_URL', '')}{path}"


def ticket_attributes(ticket: Ticket, *, event: str) -> dict[str, str]:
    """The facts subscribers filter on (sent as SNS message attributes) and webhooks receive."""
    return {
        "event": event,
        "reference": ticket.reference,
        "title": ticket.title,
        "status": ticket.status,
        "severity": ticket.severity.name,
        "queue": ticket.queue.name,
        "environment": ticket.environment,
        "account": ticket.aws_account_id,
        "kind": ticket.kind,
    }


def one_line(text: str, limit: int = SUBJECT_MAX) -> str:
    line = " ".join(text.split())  # mail headers and SNS subjects take no line breaks
    return line if len(line) <= limit else line[: limit - 1] + "…"


def ticket_subject(ticket: Ticket, reason: str) -> str:
    return one_line(f"[{ticket.reference} {ticket.severity.name}] {reason}: {ticket.title}")


def ticket_body(ticket: Ticket, *, reason: str, link: str, details: str = "") -> str:
    """Plain text for mail and SNS; the link comes early, so a body SNS has to cut keeps it."""
    facts = [f"Severity: {ticket.severity}", f"Queue: {ticket.queue.name}", f"Status: {ticket.get_status_display()}"]
    if ticket.environment:
        facts.append(f"Environment: {ticket.get_environment_display()}")
    if ticket.aws_account_id:
        facts.append(f"AWS account: {ticket.aws_account_id}")
    lines = [reason, "", f"{ticket.reference} · {ticket.title}", link, "", " · ".join(facts)]
    if details:
        lines += ["", details]
    return "\n".join(lines)


@cache
def _reply_to():
    """settings.NOTICE_REPLY_TO (mail's; mail imports this app, not the other way round), resolved once: answers
    (queue_id=) with the queue's mailbox address, or ""."""
    return import_string(settings.NOTICE_REPLY_TO) if getattr(settings, "NOTICE_REPLY_TO", "") else None


def mail_headers(notification: Notification) -> dict[str, str]:
    """A ticket's mail threads in mail clients (one root Message-ID per ticket, in References) and its replies come
    back to the queue's mailbox (Reply-To), where the Message-IDs find the ticket again. Marked as automatic
    (RFC 3834), so out-of-office replies are not sent to it."""
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
    if notification.ticket_id is None:
        return headers
    domain, ticket_id = settings.EMAIL_DOMAIN, notification.ticket_id
    root = f"<sd-{ticket_id}@{domain}>"
    headers |= {"Message-ID": f"<sd-{ticket_id}.{notification.pk}@{domain}>", "In-Reply-To": root, "References": root}
    reply_to = _reply_to()
    if (
        reply_to is not None
        and notification.ticket is not None
        and (address := reply_to(queue_id=notification.ticket.queue_id))
    ):
        headers["Reply-To"] = address
    return headers


def webhook_payload(notification: Notification, *, sent_at: datetime) -> dict[str, Any]:
    """The JSON a webhook receives (documented in docs/admin-guide.md#webhooks)."""
    ticket = None
    if notification.ticket_id:
        ticket = {f: notification.attributes.get(f, "") for f in TICKET_FIELDS} | {"link": notification.link}
    return {
        "event": notification.event,
        "reason": notification.reason,
        "subject": notification.subject,
        "text": notification.body,
        "ticket": ticket,
        "sent_at": sent_at.isoformat(),
        "notification_id": notification.pk,
    }


def ticket_card(ticket: Ticket, *, headline: str) -> TicketCard:
    """The ticket as a Slack card, with the buttons its status allows. Reads the ticket's severity, queue and
    assignee: select them with it."""
    actions = [
        button
        for button, action in ((ACKNOWLEDGE, Action.ACKNOWLEDGE), (RESOLVE, Action.RESOLVE))
        if transition_for(action, ticket.status)
    ]
    if ticket.is_open:
        actions += [ESCALATE, ASSIGN_ME]
    return TicketCard(
        reference=ticket.reference,
        title=ticket.title,
        severity=ticket.severity.name,
        colour=ticket.severity.colour,
        queue=ticket.queue.name,
        status=str(ticket.get_status_display()),
        assignee=ticket.assignee.display_name if ticket.assignee else "",
        link=link_for(ticket.get_absolute_url()),
        headline=headline,
        actions=tuple(actions),
    )


# Amazon Q Developer in chat applications, custom notifications (docs/aws.md#amazon-q-developer-in-chat-applications)
AMAZON_Q_TITLE_MAX = 250
AMAZON_Q_DESCRIPTION_MAX = 8000
AMAZON_Q_KEYWORDS = ("severity", "queue", "status", "environment")


def amazon_q_message(notification: Notification) -> dict[str, Any]:
    """The notification in Amazon Q's custom-notification format: SNS delivers it to Amazon Q, which shows it as a
    card in Slack or Microsoft Teams. Anything else it drops without a word, so the shape is held by a test."""
    facts = notification.attributes
    if notification.ticket_id:
        title = f"{facts['reference']} {facts['severity']}: {facts['title']}"
        next_steps = [f"Open {facts['reference']} in Supportdesk: {notification.link}"]
        keywords = [facts[k] for k in AMAZON_Q_KEYWORDS if facts.get(k)]
        thread = facts["reference"]  # a ticket's notices thread under its first, where the channel allows it
    else:
        title, next_steps, keywords, thread = notification.subject, [], [], notification.key
    message: dict[str, Any] = {
        "version": "1.0",
        "source": "custom",
        "id": notification.key,
        "content": {
            "textType": "client-markdown",
            "title": one_line(title, limit=AMAZON_Q_TITLE_MAX),
            "description": cut(notification.body, AMAZON_Q_DESCRIPTION_MAX),
            "nextSteps": next_steps,
            "keywords": keywords,
        },
        "metadata": {
            "threadId": thread,
            "summary": notification.subject,
            "eventType": notification.event,
            "additionalContext": {k: v for k, v in facts.items() if v},
        },
    }
    return message
