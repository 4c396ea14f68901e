"""What Slack's requests do, as the portal user behind the Slack user: the ticket services and their policies, as on
the pages (a ticket the person may not see is "not found"), and each request once however often Slack sends it.

What people do from Slack is recorded with ``tickets.timeline.via("slack")``: their timeline events carry
``"via": "slack"``, and the ticket page says "from Slack".
"""

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, user_role
from notifications import slack
from notifications.messages import link_for
from notifications.services import slack_card_remember, slack_cards_refresh_soon
from oncall.selectors import oncall_board
from paging.selectors import slack_member_user
from supportdesk.errors import DomainError
from tickets import reference, selectors, timeline
from tickets.models import Ticket
from tickets.services import ticket_assign, ticket_create, ticket_escalate, ticket_transition
from tickets.workflow import Action

from . import tasks
from .models import SlackRequest, SlackUser

log = logging.getLogger(__name__)

SLACK_USER_FRESH = timedelta(days=1)  # how long who a Slack user is stays believed
REQUESTS_KEPT = timedelta(days=1)  # Slack retries within minutes; replays older than 5 minutes fail the signature
VIA = "slack"
NOTES = {  # the note the workflow asks for, said for the person who clicked a button
    slack.RESOLVE: "Resolved from Slack.",
    slack.ESCALATE: "Escalated from Slack.",
}
DONE = {
    slack.ACKNOWLEDGE: "Acknowledged",
    slack.RESOLVE: "Resolved",
    slack.ESCALATE: "Escalated",
    slack.ASSIGN_ME: "Assigned",
}
HELP = (
    "*/supportdesk* commands:\n"
    "• `who`: who is on call now, per queue\n"
    "• `file <title>`: file a ticket (as SEV4; change it in Supportdesk)\n"
    "• `ack SD-123`: acknowledge a ticket\n"
    "• `help`: this list"
)


class SlackUserUnknown(DomainError):
    """The Slack user matches no active portal user (by their confirmed email address)."""


class TicketNotFound(DomainError):
    """No such ticket, or one the person may not see: the same words for both."""


class SlackLookupFailed(DomainError):
    """Slack could not say who the user is just now."""


def slack_user_portal(*, slack_user_id: str, now: datetime | None = None) -> User:
    """The portal user behind a Slack user: the person who linked and verified that Slack account on My paging (a
    code sent to it proved it theirs, whatever address Slack has), else by the confirmed email Slack has for them
    (users.info), remembered for a day once found. Raises SlackUserUnknown when there is none, or they are no longer
    active."""
    if (linked := slack_member_user(slack_user_id=slack_user_id)) is not None:
        return linked
    now = now or timezone.now()
    row = SlackUser.objects.select_related("user").filter(slack_user_id=slack_user_id).first()
    # someone unknown is asked about again each time: they may have been invited since
    if row is None or row.user_id is None or row.checked_at < now - SLACK_USER_FRESH:
        try:
            person = slack.slack_person(user_id=slack_user_id)
        except slack.SlackError as exc:
            log.warning("users.info for %s failed: %s", slack_user_id, exc)
            raise SlackLookupFailed("Slack could not say who you are just now; try again in a minute.") from exc
        user = User.objects.filter(email__iexact=person.email, is_active=True).first() if person.email else None
        row, _ = SlackUser.objects.update_or_create(
            slack_user_id=slack_user_id,
            defaults={"email": person.email, "name": person.name, "user": user, "checked_at": now},
        )
    if row.user is None or not row.user.is_active:
        address = f" ({row.email})" if row.email else " (Slack shows no confirmed email address for you)"
        raise SlackUserUnknown(
            f"Your Slack account{address} matches no Supportdesk user: ask a Supportdesk admin to invite you "
            "with the same address."
        )
    return row.user


def _first_time(key: str) -> bool:
    """Inside the acting transaction: True for a request not seen before. A concurrent twin waits on the unique
    key and then sees it; a failed action rolls its row back, so trying again acts."""
    _, created = SlackRequest.objects.get_or_create(key=key[:200])
    return created


def _visible(user: User, reference_text: str) -> Ticket:
    try:
        return selectors.ticket_detail(user=user, reference=reference_text)
    except Http404:
        raise TicketNotFound(f"{reference_text} was not found.") from None


def slack_ticket_act(
    *, user: User, reference_text: str, action: str, request_key: str, message: tuple[str, str] | None = None
) -> Ticket | None:
    """A button's action (or `ack`) on a ticket, as this person, through the ticket services; None when this
    request acted already (a retry, a replay). ``message`` (channel, ts): the Slack message to redraw after."""
    if action not in DONE:
        raise DomainError("That button does nothing here.")
    ticket = _visible(user, reference_text)
    with transaction.atomic(), timeline.via(VIA):
        if not _first_time(request_key):
            return None
        if action == slack.ACKNOWLEDGE:
            # its pages stop in this change (the paging reaction), "from Slack"
            ticket = ticket_transition(ticket=ticket, actor=user, action=Action.ACKNOWLEDGE)
        elif action == slack.RESOLVE:
            ticket = ticket_transition(ticket=ticket, actor=user, action=Action.RESOLVE, note=NOTES[action])
        elif action == slack.ESCALATE:
            ticket = ticket_escalate(ticket=ticket, actor=user, reason=NOTES[action])
        else:
            ticket = ticket_assign(ticket=ticket, actor=user, assignee=user)
        if message is not None:  # the card clicked is the ticket's card there, redrawn as every card is
            channel, ts = message
            headline = f"{DONE[action]} by {user.display_name} from Slack"
            slack_card_remember(ticket_id=ticket.pk, channel=channel, ts=ts, headline=headline)
            slack_cards_refresh_soon(ticket_ids=[ticket.pk])  # coalesced with the reaction's for the same change
    return ticket


def slack_ticket_file(*, user: User, title: str, request_key: str) -> Ticket | None:
    """`/supportdesk file <title>`: a ticket filed by this person at the default severity in the default queue;
    None when this request filed it already."""
    title = " ".join(title.split())
    if not title:
        raise DomainError("Say what it is about: /supportdesk file <title>.")
    severity = reference.default_severity()
    if severity is None:
        raise DomainError("Supportdesk has no severities yet: ask an admin.")
    with transaction.atomic(), timeline.via(VIA):
        if not _first_time(request_key):
            return None
        try:
            return ticket_create(requester=user, title=title, severity=severity, actor=user)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages)) from exc


def slack_oncall_text(*, user: User, now: datetime | None = None) -> str:
    """`/supportdesk who`: the on-call page in a few lines, a line per layer, for staff (requesters do not see it in
    the portal)."""
    if user_role(user) == Role.REQUESTER:
        raise DomainError("Who is on call is for support staff.")
    now = now or timezone.now()
    lines = []
    for row in oncall_board(now=now):
        for shown in row.layers:
            person = shown.current.person
            who = person.display_name if person else "nobody"
            after = ""
            if shown.next is not None:
                taker = shown.next.person.display_name if shown.next.person else "nobody"
                after = f", then {taker} from {timezone.localtime(shown.next.starts_at):%a %d %b %H:%M %Z}"
            queue, layer = slack.escaped(row.queue.name), slack.escaped(shown.layer.name)
            lines.append(f"• *{queue}* ({layer}): {slack.escaped(who)}{slack.escaped(after)}")
    return "*On call now*\n" + "\n".join(lines) if lines else "No queue has an on-call schedule yet."


def slack_tell_later(*, channel: str, user: str, text: str) -> None:
    """A message only this Slack user sees, sent by the worker: Slack wants our answer to a click within 3 s."""
    transaction.on_commit(lambda: tasks.slack_tell_task.delay(channel, user, text), robust=True)


def ticket_line(ticket: Ticket) -> str:
    link = link_for(ticket.get_absolute_url())
    return f"<{link}|{ticket.reference}> · {slack.escaped(ticket.title)}"


def slack_requests_prune(*, now: datetime | None = None) -> int:
    """Forget requests older than a day: Slack's retries and replays come within minutes."""
    now = now or timezone.now()
    deleted, _ = SlackRequest.objects.filter(received_at__lt=now - REQUESTS_KEPT).delete()
    return deleted
