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
from django.core.mail import send_mail

from awsgateway.errors import RETRYABLE, AwsError
from awsgateway.sms_voice import sms_send, voice_send
from awsgateway.sns import sns_publish
from tickets.models import Ticket

from . import slack
from .messages import amazon_q_message, ticket_card, webhook_payload
from .models import Channel, Notification

WEBHOOK_TIMEOUT = (5, 15)  # seconds to connect, to answer: a slow receiver holds a worker and the row's lock
ERROR_BODY_BYTES = 300  # of a refusing receiver's answer, kept with the error
FIFO_GROUP_WITHOUT_TICKET = "supportdesk"


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
    """A ticket as a card whose buttons act on it (the chat app hears the clicks); anything else as text. The card
    shows the ticket as it is when sent, so its buttons fit its status; the headline is the notice's."""
    text, attachments = _slack_message(notification)
    ts = _slack_post(channel.slack_channel, text, attachments)
    return f"Slack message {ts} in {channel.slack_channel}"


def _slack_dm(notification: Notification) -> str:
    """A page (or a verification code) as a direct message to a person's Slack member ID: the ticket card with its
    buttons, and the body (the one-tap link) under the card's line. Slack refusing (no such member, DMs to the app
    turned off) is for good: the page moves on to its next rule."""
    text, attachments = _slack_message(notification)
    if attachments is not None:
        text = f"{text}\n{slack.escaped(notification.body)}"
    ts = _slack_post(notification.slack_to, text, attachments)
    return f"Slack DM {ts} to {notification.slack_to}"


def _slack_message(notification: Notification) -> tuple[str, list | None]:
    if not notification.ticket_id:
        return f"*{slack.escaped(notification.subject)}*\n{slack.escaped(notification.body)}", None
    ticket = Ticket.objects.select_related("severity", "queue", "assignee").get(pk=notification.ticket_id)
    card = ticket_card(ticket, headline=notification.reason)
    return slack.card_text(card), slack.card_attachments(card)


def _slack_post(to: str, text: str, attachments: list | None) -> str:
    try:
        return slack.slack_post(channel=to, text=text, attachments=attachments)
    except slack.SlackUnavailable as exc:
        raise RetryableDeliveryError(str(exc)) from exc
    except slack.SlackRefused as exc:
        raise PermanentDeliveryError(str(exc)) from exc


def _mail(notification: Notification, recipients: list[str]) -> str:
    try:
        send_mail(notification.subject, notification.body, None, recipients)
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
