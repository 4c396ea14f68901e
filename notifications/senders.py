"""One sender per channel kind. Each returns what the far end said, or raises a DeliveryError that says whether
trying again could help."""

import hashlib
import hmac
import json
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import requests
from django.core.mail import EmailMessage
from django.db import connection
from django.utils import timezone

from awsgateway.errors import RETRYABLE, AwsError
from awsgateway.sms_voice import sms_send, voice_send
from awsgateway.sns import sns_publish
from tickets.models import Ticket

from . import slack
from .messages import amazon_q_message, mail_headers, ticket_card, webhook_payload
from .models import Channel, Notification, SlackCard

WEBHOOK_TIMEOUT = (5, 15)  # seconds to connect, to answer: a slow receiver holds a worker and the row's lock
ERROR_BODY_BYTES = 300  # of a refusing receiver's answer, kept with the error
FIFO_GROUP_WITHOUT_TICKET = "supportdesk"
HEADLINE_MAX = 300  # SlackCard.headline


class DeliveryError(Exception):
    """str() is a sentence for the ticket timeline and the admin list."""


class RetryableDeliveryError(DeliveryError):
    """The far end is down, slow or throttling: trying later may work."""


class PermanentDeliveryError(DeliveryError):
    """The far end refused this message: sending it again would be refused again."""


def send(notification: Notification, *, now: datetime) -> str:
    channel = notification.channel
    if notification.sms_to:
        return _phone(notification, "SMS", sms_send, notification.sms_to)
    if notification.call_to:
        return _phone(notification, "Call", voice_send, notification.call_to)
    if notification.slack_to:
        return _slack_dm(notification)
    if channel is None:
        return _mail(notification, [notification.email])
    if not channel.enabled:
        raise PermanentDeliveryError("The channel was disabled before this was sent.")
    if channel.kind == Channel.Kind.SNS:
        return _sns(notification, channel)
    if channel.kind == Channel.Kind.EMAIL:
        return _mail(notification, channel.addresses)
    if channel.kind == Channel.Kind.SLACK:
        return _slack(notification, channel)
    return _webhook(notification, channel, now=now)


@contextmanager
def _aws_answer(what: str = "") -> Iterator[None]:
    """AWS's errors as delivery errors: throttling and outages retried, the rest a refusal."""
    try:
        yield
    except RETRYABLE as exc:  # the outbox says itself when it will retry, and when it gives up
        raise RetryableDeliveryError(str(exc).removesuffix("; will retry.") + ".") from exc
    except AwsError as exc:
        raise PermanentDeliveryError(f"{what}{exc}") from exc


def _sns(notification: Notification, channel: Channel) -> str:
    with _aws_answer():
        message_id = sns_publish(
            topic_arn=channel.topic_arn,
            subject=notification.subject,
            message=_sns_message(notification, channel),
            attributes=notification.attributes,
            group_id=notification.attributes.get("reference") or FIFO_GROUP_WITHOUT_TICKET,
            dedup_id=notification.key,
        )
    return f"SNS message {message_id}"


def _phone(notification: Notification, what: str, send_by: Callable[..., str], number: str) -> str:
    """A page by SMS or call. Opt-outs and spend limits are refusals (the next rule takes over); throttling and
    outages are retried like every other channel's."""
    with _aws_answer(f"{what} failed: "):
        message_id = send_by(destination=number, body=notification.body, key=notification.key)
    return f"{what} message {message_id}"


def _sns_message(notification: Notification, channel: Channel) -> str:
    if channel.message_format == Channel.MessageFormat.AMAZON_Q:
        return json.dumps(amazon_q_message(notification), ensure_ascii=False)
    return notification.body


def _slack(notification: Notification, channel: Channel) -> str:
    """A ticket as its card in the channel (one per ticket, kept current: see _slack_card); anything else as text."""
    return _slack_to(notification, channel.slack_channel)


def _slack_dm(notification: Notification) -> str:
    """A page (or a verification code) as a direct message to a person's Slack member ID: the ticket card with its
    buttons, and the body (the one-tap link) under the notice's line. Slack refusing (no such member, DMs to the app
    turned off) is for good: the page moves on to its next rule."""
    return _slack_to(notification, notification.slack_to, extra=f"\n{slack.escaped(notification.body)}")


def _slack_to(notification: Notification, to: str, *, extra: str = "") -> str:
    if not notification.ticket_id:
        text = f"*{slack.escaped(notification.subject)}*\n{slack.escaped(notification.body)}"
        with _slack_answer():
            ts = slack.slack_post(channel=to, text=text)
        return f"Slack message {ts} in {to}"
    return _slack_card(notification, to, extra=extra)


def _slack_card(notification: Notification, to: str, *, extra: str) -> str:
    """One card per ticket per conversation. The first notice posts the card (the ticket as it is now, the notice's
    line as its headline) and remembers it; a later one redraws that card and replies in its thread with its line, so
    the channel keeps one card and the thread the history. A card deleted in Slack is posted again. Runs in the
    delivery's transaction: a retry finds the card remembered and posts no second one."""
    assert notification.ticket_id is not None  # _slack_to sends the rest as text
    if connection.vendor == "postgresql":  # one delivery at a time per ticket and conversation, or both would post
        with connection.cursor() as cursor:
            lock = f"slack-card:{notification.ticket_id}:{to}"
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [lock])
    # (the SQLite demo has no such lock: its one worker at worst posts a card twice)
    ticket = Ticket.objects.select_related("severity", "queue", "assignee").get(pk=notification.ticket_id)
    headline = notification.reason
    card = ticket_card(ticket, headline=headline)
    text, attachments = slack.card_text(card), slack.card_attachments(card)
    known = SlackCard.objects.filter(ticket=ticket, channel=to).first()
    if known is not None:
        try:
            with _slack_answer():
                slack.slack_update(channel=to, ts=known.ts, text=text, attachments=attachments)
        except PermanentDeliveryError as exc:
            if not isinstance(exc.__cause__, slack.SlackMessageGone):
                raise
        else:
            with _slack_answer():
                reply = slack.slack_post(channel=to, text=f"{slack.escaped(headline)}{extra}", thread_ts=known.ts)
            known.headline = headline[:HEADLINE_MAX]
            known.save(update_fields=["headline"])
            return f"Slack card {known.ts} in {to} updated; reply {reply} in its thread"
    with _slack_answer():
        ts = slack.slack_post(channel=to, text=f"{text}{extra}", attachments=attachments)
    SlackCard.objects.update_or_create(
        ticket=ticket, channel=to, defaults={"ts": ts, "headline": headline[:HEADLINE_MAX], "posted_at": timezone.now()}
    )
    return f"Slack card {ts} in {to}"


@contextmanager
def _slack_answer() -> Iterator[None]:
    try:
        yield
    except slack.SlackUnavailable as exc:
        raise RetryableDeliveryError(str(exc)) from exc
    except slack.SlackRefused as exc:
        raise PermanentDeliveryError(str(exc)) from exc


def _mail(notification: Notification, recipients: list[str]) -> str:
    try:
        EmailMessage(
            notification.subject, notification.body, None, recipients, headers=mail_headers(notification)
        ).send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentDeliveryError(f"The mail server refused {', '.join(exc.recipients)}.") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise RetryableDeliveryError(f"The mail server could not take it: {exc}") from exc
    return f"Mail to {', '.join(recipients)} handed to the mail server"


def signature(secret: str, body: bytes) -> str:
    """The X-Supportdesk-Signature header: an HMAC-SHA256 of the raw body, in hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _webhook(notification: Notification, channel: Channel, *, now: datetime) -> str:
    body = json.dumps(webhook_payload(notification, sent_at=now), separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Supportdesk",
        "X-Supportdesk-Signature": signature(channel.webhook_secret, body),
        "X-Supportdesk-Delivery": notification.key,  # the same on every retry: receivers drop repeats by it
    }
    try:
        # no redirects: a redirect would carry the signed body somewhere nobody configured
        with requests.post(
            channel.webhook_url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT, allow_redirects=False, stream=True
        ) as response:
            status = response.status_code
            answer = b"" if 200 <= status < 300 else response.raw.read(ERROR_BODY_BYTES, decode_content=True)
    except requests.RequestException as exc:  # refused, timed out, cut off: the URL itself was checked when saved
        raise RetryableDeliveryError(f"The webhook could not be reached: {exc.__class__.__name__}.") from exc
    if 200 <= status < 300:
        return f"HTTP {status}"
    said = f"HTTP {status}: {answer.decode(errors='replace').strip()}".rstrip(": ")
    if status in (408, 429) or status >= 500:
        raise RetryableDeliveryError(f"The webhook answered {said}.")
    raise PermanentDeliveryError(f"The webhook refused it with {said}.")
