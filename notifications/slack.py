"""Slack's Web API, in one small place: the client, the ticket card (Block Kit) and the calls Supportdesk makes.

The bot token and the API's address come from settings (SLACK_BOT_TOKEN, SLACK_API_URL), never the database: tests
and `make run` point SLACK_API_URL at a local fake. Every call raises SlackUnavailable (trying later may work) or
SlackRefused (it would be refused again), each with a sentence for the timeline and the admin.
"""

import logging
import urllib.error
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10  # a slow Slack holds a worker and the outbox row's lock
LOOKUP_TIMEOUT_SECONDS = 2  # users.info while Slack waits for our answer (it gives up after 3 s)
TEXT_MAX = 3000  # Block Kit: a section's text
FIELD_MAX = 2000  # Block Kit: one of a section's fields
# Slack's error codes that mean "not now" rather than "never"
RETRYABLE_CODES = frozenset({"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable"})
REFUSALS = {  # the ones an admin can fix, said plainly
    "channel_not_found": "Slack knows no channel {channel}: check the channel ID (a C…, G… or user U… id).",
    "not_in_channel": "The Supportdesk app is not in Slack channel {channel}: invite it (/invite @Supportdesk).",
    "is_archived": "Slack channel {channel} is archived.",
    "invalid_auth": "Slack refused the bot token (invalid_auth): check SLACK_BOT_TOKEN.",
    "not_authed": "No Slack bot token was sent: set SLACK_BOT_TOKEN.",
    "account_inactive": "The Slack bot token belongs to a deleted app or user: check SLACK_BOT_TOKEN.",
    "token_revoked": "The Slack bot token was revoked: install the app again and update SLACK_BOT_TOKEN.",
    "user_not_found": "Slack knows no member {channel}: check the Slack member ID on My paging.",
    "user_disabled": "Slack member {channel} is deactivated.",
    "cannot_dm_bot": "Slack member {channel} is a bot: pages go to people.",
    "messages_tab_disabled": "Slack member {channel} cannot get direct messages from the Supportdesk app "
    "(the app's Messages tab is turned off).",
    "missing_scope": "The Slack app lacks a scope it needs (chat:write, users:read, users:read.email).",
}


class SlackError(Exception):
    """str() is a sentence for the ticket timeline and the admin list."""


class SlackUnavailable(SlackError):
    """Slack is down, slow or throttling: trying later may work."""


class SlackRefused(SlackError):
    """Slack refused the call: sending it again would be refused again."""


class SlackNotConfigured(SlackRefused):
    """No bot token is set."""


class SlackMessageGone(SlackRefused):
    """The message to update is no longer there (someone deleted it in Slack)."""


def slack_configured() -> bool:
    return bool(settings.SLACK_BOT_TOKEN)


def _client(timeout: int = TIMEOUT_SECONDS) -> WebClient:
    if not slack_configured():
        raise SlackNotConfigured("Slack is not configured: set SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET).")
    # no retry handlers: the outbox retries with its own backoff, and a click must not wait on one
    return WebClient(
        token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL, timeout=timeout, retry_handlers=[]
    )


@contextmanager
def _translated(channel: str = "") -> Iterator[None]:
    try:
        yield
    except SlackApiError as exc:
        status = exc.response.status_code
        code = str(exc.response.get("error", "") if isinstance(exc.response.data, dict) else "") or f"HTTP {status}"
        if status == 429 or status >= 500 or code in RETRYABLE_CODES:
            raise SlackUnavailable(f"Slack could not take it ({code}).") from exc
        if code == "message_not_found":
            raise SlackMessageGone(f"The Slack message in {channel} was deleted.") from exc
        said = REFUSALS.get(code, "Slack refused it: {code}.")
        raise SlackRefused(said.format(channel=channel, code=code)) from exc
    except (urllib.error.URLError, OSError, SlackClientError) as exc:  # refused, timed out, cut off
        raise SlackUnavailable(f"Slack could not be reached: {exc.__class__.__name__}.") from exc


def slack_post(
    *,
    channel: str,
    text: str,
    blocks: list | None = None,
    attachments: list | None = None,
    thread_ts: str | None = None,
) -> str:
    """Post a message to a channel, or to a person by their user id (a DM), or as a reply in the thread of the
    message ``thread_ts``; returns the message's ts."""
    with _translated(channel):
        response = _client().chat_postMessage(
            channel=channel, text=text, blocks=blocks, attachments=attachments, thread_ts=thread_ts, unfurl_links=False
        )
    return str(response["ts"])


def slack_update(*, channel: str, ts: str, text: str, blocks: list | None = None, attachments: list | None = None):
    """Replace a message Supportdesk posted (its buttons follow the ticket's state). SlackMessageGone when it was
    deleted."""
    with _translated(channel):
        _client().chat_update(channel=channel, ts=ts, text=text, blocks=blocks, attachments=attachments)


def slack_tell(*, channel: str, user: str, text: str) -> None:
    """A message only this person sees, in the channel they acted in."""
    with _translated(channel):
        _client().chat_postEphemeral(channel=channel, user=user, text=text)


@dataclass(frozen=True)
class SlackPerson:
    user_id: str
    email: str  # "" when Slack has no confirmed address for them
    name: str


def slack_person(*, user_id: str) -> SlackPerson:
    """Who a Slack user is (users.info, needs users:read and users:read.email)."""
    with _translated():
        user = _client(timeout=LOOKUP_TIMEOUT_SECONDS).users_info(user=user_id)["user"]
    profile = user.get("profile", {})
    confirmed = user.get("is_email_confirmed", True) is not False  # bots and unconfirmed addresses do not count
    email = profile.get("email", "") if confirmed and not user.get("is_bot") else ""
    return SlackPerson(user_id=user_id, email=email, name=profile.get("real_name") or user.get("name", user_id))


def slack_person_by_email(*, email: str) -> SlackPerson | None:
    """The Slack member with this address (users.lookupByEmail, needs users:read.email), or None when the workspace
    has nobody with it. Bots and deactivated members count as nobody."""
    try:
        with _translated():
            user = _client(timeout=LOOKUP_TIMEOUT_SECONDS).users_lookupByEmail(email=email)["user"]
    except SlackRefused as exc:
        if "users_not_found" in str(exc):
            return None
        raise
    if user.get("is_bot") or user.get("deleted"):
        return None
    profile = user.get("profile", {})
    name = profile.get("real_name") or user.get("name", user["id"])
    return SlackPerson(user_id=str(user["id"]), email=profile.get("email", email), name=name)


# The ticket card ---------------------------------------------------------------------------------------------------

ACKNOWLEDGE, RESOLVE, ESCALATE, ASSIGN_ME, OPEN = "acknowledge", "resolve", "escalate", "assign_me", "open"
BUTTON_LABELS = {ACKNOWLEDGE: "Acknowledge", RESOLVE: "Resolve", ESCALATE: "Escalate", ASSIGN_ME: "Assign to me"}
ACTION_PREFIX = "ticket_"  # action_id ticket_acknowledge …: what the chat app's interactivity endpoint reads


@dataclass(frozen=True)
class TicketCard:
    """What a Slack message says about a ticket, and which buttons it offers (those its status allows)."""

    reference: str
    title: str
    severity: str
    colour: str  # the severity's colour: the bar beside the message
    queue: str
    status: str
    assignee: str  # "" for nobody
    link: str
    headline: str  # why it is posted: "New ticket", "Acknowledged by Alex from Slack"
    actions: tuple[str, ...]  # of ACKNOWLEDGE, RESOLVE, ESCALATE, ASSIGN_ME


def escaped(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup: a title must not become a link or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """At most limit characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card_text(card: TicketCard) -> str:
    """The plain text of the message: notifications, screen readers and clients without blocks show it."""
    return cut(f"[{card.reference} {card.severity}] {card.headline}: {card.title}", TEXT_MAX)


def card_attachments(card: TicketCard) -> list[dict[str, Any]]:
    """The card as one attachment (its colour bar is the severity's) holding Block Kit blocks."""
    facts = [
        ("Severity", card.severity),
        ("Queue", card.queue),
        ("Status", card.status),
        ("Assignee", card.assignee or "Nobody"),
    ]
    title = f"*<{card.link}|{escaped(card.reference)} · {escaped(card.title)}>*"
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": "ticket",
            "text": {"type": "mrkdwn", "text": cut(f"{title}\n{escaped(card.headline)}", TEXT_MAX)},
        },
        {
            "type": "section",
            "block_id": "facts",
            "fields": [{"type": "mrkdwn", "text": cut(f"*{k}*\n{escaped(v)}", FIELD_MAX)} for k, v in facts],
        },
    ]
    buttons: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": ACTION_PREFIX + action,
            "text": {"type": "plain_text", "text": BUTTON_LABELS[action]},
            "value": card.reference,
            **({"style": "primary"} if action == ACKNOWLEDGE else {"style": "danger"} if action == ESCALATE else {}),
        }
        for action in card.actions
    ]
    buttons.append(
        {
            "type": "button",
            "action_id": ACTION_PREFIX + OPEN,
            "text": {"type": "plain_text", "text": "Open in Supportdesk"},
            "url": card.link,
            "value": card.reference,
        }
    )
    blocks.append({"type": "actions", "block_id": "actions", "elements": buttons})
    return [{"color": card.colour, "fallback": card_text(card), "blocks": blocks}]
