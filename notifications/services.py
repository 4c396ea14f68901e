"""Writes: enqueue notifications with the change that causes them, deliver each once, re-send what was left.

notify() and notify_people() join the caller's transaction; delivery, the sweep and retries are one transaction each.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from typing import cast

from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from supportdesk.commit import after_commit_robust
from tickets import timeline
from tickets.models import Ticket

from . import selectors, senders, slack, tasks
from .messages import NOTICE, link_for, one_line, ticket_attributes, ticket_body, ticket_card, ticket_subject
from .models import Channel, Notification, SlackCard
from .retries import RETRY_FOR, SWEEP_AFTER, backoff
from .senders import DeliveryError, RetryableDeliveryError

log = logging.getLogger(__name__)

SWEEP_BATCH = 1000
KEY_MAX = cast(int, Notification._meta.get_field("key").max_length) - 40  # room for ":channel:<id>" or ":user:<id>"
REASON_MAX = cast(int, Notification._meta.get_field("reason").max_length)
S = Notification.Status
# Set by notices_held_all(): a replayed history's notices are held
_all_held: ContextVar[bool] = ContextVar("notices_all_held", default=False)


@cache
def _notice_hold() -> Callable[..., str | None] | None:
    """settings.NOTICE_HOLD (the quiet rules' check; rules import this module, not the other way round), resolved
    once: it answers (ticket=, key=) with None (not held), the reason to note on the timeline, or "" (held, noted
    already)."""
    return import_string(settings.NOTICE_HOLD) if settings.NOTICE_HOLD else None


@cache
def _failed_hook() -> Callable[..., None] | None:
    """settings.NOTICE_FAILED (paging's: a page moves on to its next rule; paging imports this module, not the other
    way round), resolved once: called with notification= in the delivery's transaction once it failed for good."""
    return import_string(settings.NOTICE_FAILED) if getattr(settings, "NOTICE_FAILED", "") else None


@contextmanager
def notices_held_all() -> Iterator[None]:
    """Inside the block, every ticket notice is held, with nothing noted on the timeline (the demo history replays
    ninety days of changes: the people in it heard at the time). Mail not about a ticket is not held."""
    token = _all_held.set(True)
    try:
        yield
    finally:
        _all_held.reset(token)


def notices_all_held() -> bool:
    """Whether a replayed history is holding every notice (notices_held_all): nobody is to be reached about it."""
    return _all_held.get()


def notify(
    *,
    ticket: Ticket,
    reason: str,
    key: str,
    channels: Iterable[Channel] | None = None,
    users: Iterable = (),
    link_path: str | None = None,
) -> int:
    """Tell the ticket's queue channels (or the channels given) and these people; returns how many were enqueued.

    Call inside the transaction of the change: the notifications commit with it or not at all. ``key`` names
    the cause (say ``f"rule:{rule.pk}:ticket:{ticket.pk}"``): calling again with the same key enqueues nothing.
    """
    return ticket_notify(
        ticket=ticket, event=NOTICE, reason=reason, key=key, channels=channels, users=users, link_path=link_path
    )


def ticket_notify(
    *,
    ticket: Ticket,
    event: str,
    reason: str,
    key: str,
    channels: Iterable[Channel] | None,
    users: Iterable,
    link_path: str | None = None,
    details: str = "",
) -> int:
    """notify(), naming the event (a timeline kind) and adding details (a comment, a note) to the body."""
    if channels is None:
        channels = selectors.queue_channels([ticket])[ticket.pk]
    targets = _targets(channels, users)
    if targets and (why := _held_why(ticket, key)) is not None:
        if why:  # said once per notice, however often its cause comes round
            labels = ", ".join(
                to["channel"].label if "channel" in to else f"Email to {to['email']}" for to in targets.values()
            )
            timeline.notified(ticket=ticket, channel=labels, outcome="held", detail=f"{one_line(reason)}. {why}")
        return 0
    link = link_for(link_path or ticket.get_absolute_url())
    message = {
        "ticket": ticket,
        "event": event,
        "reason": one_line(reason, limit=REASON_MAX),
        "subject": ticket_subject(ticket, reason),
        "body": ticket_body(ticket, reason=reason, link=link, details=details),
        "link": link,
        "attributes": ticket_attributes(ticket, event=event),
    }
    return _enqueue(key=key, targets=targets, message=message)


def _held_why(ticket: Ticket, key: str) -> str | None:
    hold = _notice_hold()
    if hold is not None and (why := hold(ticket=ticket, key=key)) is not None:
        return why
    return "" if notices_all_held() else None


def notify_people(*, users: Iterable, subject: str, body: str, key: str) -> int:
    """Mail not about one ticket (a KPI target missed, say); like notify(), inside the caller's transaction."""
    return notify_audience(users=users, channels=(), subject=subject, body=body, key=key)


def notify_audience(*, users: Iterable, channels: Iterable[Channel], subject: str, body: str, key: str) -> int:
    """notify_people(), and these channels too."""
    message = {
        "event": NOTICE,
        "reason": one_line(subject),
        "subject": one_line(subject),
        "body": body,
        "attributes": {"event": NOTICE},
    }
    return _enqueue(key=key, targets=_targets(channels, users), message=message)


def notify_person(
    *, ticket: Ticket | None, key: str, target: dict[str, str], reason: str, subject: str, body: str, link: str = ""
) -> int:
    """One message to one person, by the medium the target names (``{"sms_to": number}``, ``{"call_to": number}``,
    ``{"slack_to": member_id}`` or ``{"email": address}``): a page's step, or a verification code (no ticket). Like
    notify(), inside the caller's transaction, once per key, held by quiet rules; the body is the caller's (an SMS
    is short)."""
    if ticket is not None and (why := _held_why(ticket, key)) is not None:
        if why:
            label = Notification(**target).target_label
            timeline.notified(ticket=ticket, channel=label, outcome="held", detail=f"{one_line(reason)}. {why}")
        return 0
    message = {
        "ticket": ticket,
        "event": NOTICE,
        "reason": one_line(reason, limit=REASON_MAX),
        "subject": one_line(subject),
        "body": body,
        "link": link,
        "attributes": ticket_attributes(ticket, event=NOTICE) if ticket is not None else {"event": NOTICE},
    }
    medium = next(iter(target))
    return _enqueue(key=key, targets={medium: target}, message=message)


def _targets(channels: Iterable[Channel], users: Iterable) -> dict[str, dict]:
    targets = {f"channel:{c.pk}": {"channel": c} for c in channels if c.enabled}
    return targets | {f"user:{u.pk}": {"email": u.email} for u in users if u.is_active and u.email}


def _enqueue(*, key: str, targets: dict[str, dict], message: dict) -> int:
    if len(key) > KEY_MAX:
        raise ValueError(f"Notification keys are at most {KEY_MAX} characters: {key[:40]}…")
    now = timezone.now()
    rows = [
        Notification(key=f"{key}:{target}", **to, **message, created_at=now, next_attempt_at=now + SWEEP_AFTER)
        for target, to in targets.items()
    ]
    ids = _insert_new(rows) if rows else []
    if ids:
        _deliver_after_commit(ids)
    return len(ids)


def _insert_new(rows: list[Notification]) -> list[int]:
    """One INSERT … ON CONFLICT (key) DO NOTHING RETURNING id: the ids of the rows new here. A key already
    written, even by a concurrent transaction (which this waits for), is skipped rather than an IntegrityError
    that would abort the caller's transaction. Django's bulk_create returns no ids when it ignores conflicts."""
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
    sql = (
        f"INSERT INTO {quote(Notification._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {values} ON CONFLICT ({quote('key')}) DO NOTHING RETURNING {quote('id')}"
    )
    params = [f.get_db_prep_save(f.pre_save(row, add=True), connection) for row in rows for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


def _deliver_after_commit(ids: list[int]) -> None:
    # robust: a broker outage must not undo the change; the sweep sends these later. A lambda, not a partial:
    # Django logs a failed robust callback by its __qualname__, which a partial lacks (an AttributeError instead).
    transaction.on_commit(lambda: _deliver_soon(ids), robust=True)


def _deliver_soon(ids: list[int]) -> None:
    for pk in ids:
        # no publish retries: with the broker down the change must not hang; the sweep re-queues
        tasks.notification_deliver_task.apply_async((pk,), retry=False)


def notification_deliver(*, notification_id: int) -> str:
    """Send one pending notification and record the attempt; returns sent, retrying, failed, dead or skipped.

    The row stays locked while it goes, so a second worker skips it, and only a pending row is sent: a re-run
    sends nothing twice. A crash after sending and before commit leaves it pending, and the sweep sends it again;
    FIFO topics drop that repeat by its dedup id (the key), webhooks get the same X-Supportdesk-Delivery.
    Raises RetryableDeliveryError after recording such a failure, so the task retries with backoff."""
    with transaction.atomic():
        pending = Notification.objects.filter(pk=notification_id, status=S.PENDING)
        row = pending.select_for_update(skip_locked=True, of=("self",)).select_related("channel", "ticket").first()
        if row is None:
            return "skipped"  # sent, failed, gone, or being sent by another worker right now
        now = timezone.now()
        detail, error = "", cast(DeliveryError | None, None)
        try:
            detail = senders.send(row, now=now)
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a bug in one channel counts as an attempt, or the sweep would resend it forever
            log.exception("Notification %s to %s failed unexpectedly", row.pk, row.target_label)
            error = RetryableDeliveryError(f"Unexpected error: {exc!r}")
        outcome = _attempt_record(row, detail=detail, error=error, now=now)
    if outcome == "retrying":
        assert error is not None  # only a retryable error is retried
        raise error
    return outcome


def _attempt_record(row: Notification, *, detail: str, error: DeliveryError | None, now: datetime) -> str:
    row.attempts += 1
    if error is None:
        row.status, row.sent_at, row.next_attempt_at, row.retry_until, row.last_error = S.SENT, now, None, None, ""
        outcome = "sent"
    elif isinstance(error, RetryableDeliveryError) and now < (row.retry_until or now + RETRY_FOR):
        row.retry_until = row.retry_until or now + RETRY_FOR  # a day from the first failure, however many attempts
        row.next_attempt_at, row.last_error = now + backoff(row.attempts) + SWEEP_AFTER, str(error)
        at = timezone.localtime(row.next_attempt_at).strftime("%H:%M %Z")
        outcome, detail = "retrying", f"{error} Attempt {row.attempts}; will retry by {at}."
    elif isinstance(error, RetryableDeliveryError):
        row.status, row.next_attempt_at, row.last_error = S.DEAD, None, str(error)
        outcome = "dead"
        detail = f"{error} Gave up after a day ({row.attempts} attempts); replay it from the admin once it is back."
    else:
        row.status, row.next_attempt_at, row.last_error = S.FAILED, None, str(error)
        outcome, detail = "failed", f"{error} Not retried: it would be refused again."
    row.save(update_fields=["attempts", "status", "sent_at", "next_attempt_at", "retry_until", "last_error"])
    if row.ticket is not None:  # no query without a ticket_id
        timeline.notified(ticket=row.ticket, channel=row.target_label, outcome=outcome, detail=detail)
    if outcome in ("failed", "dead") and (hook := _failed_hook()) is not None:
        hook(notification=row)  # a page moves on to its next rule now, not at that rule's time
    return outcome


def notifications_sweep(*, now: datetime | None = None) -> int:
    """Re-queue pending notifications past due: a worker died holding them, or the broker was down when they were
    written. Each is pushed SWEEP_AFTER ahead so the next sweep leaves it to the task queued now."""
    now = now or timezone.now()
    with transaction.atomic():
        due = Notification.objects.filter(status=S.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at")
        # skip_locked: a row being delivered right now is not due
        ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:SWEEP_BATCH])
        Notification.objects.filter(pk__in=ids).update(next_attempt_at=now + SWEEP_AFTER)
    _deliver_soon(ids)
    return len(ids)


@transaction.atomic
def notifications_retry(*, ids: Iterable[int]) -> int:
    """Another day of attempts for failed or dead notifications (the admin's Replay); returns how many."""
    now = timezone.now()
    given_up = Notification.objects.filter(pk__in=list(ids), status__in=[S.FAILED, S.DEAD]).select_for_update()
    retried = [row.pk for row in given_up.only("pk")]
    Notification.objects.filter(pk__in=retried).update(
        status=S.PENDING, attempts=0, retry_until=None, next_attempt_at=now + SWEEP_AFTER
    )
    if retried:
        _deliver_after_commit(retried)
    return len(retried)


# Slack cards kept current -----------------------------------------------------------------------------------------

CARD_REFRESH_AFTER_SECONDS = 2  # changes within this much of each other redraw a card once
CARD_REFRESH_QUEUED_FOR = 120  # seconds a queued refresh holds off others, should its task be lost


def _card_refresh_key(card_id: int) -> str:
    return f"slack-card-refresh:{card_id}"


def slack_cards_refresh_soon(*, ticket_ids: Iterable[int]) -> None:
    """After the commit, redraw these tickets' Slack cards: one task per card, not one per change. A refresh queued
    and not yet started takes later changes along (it reads the ticket when it runs). Robust: a broker outage loses
    the redraw, never the change (the next change or notice redraws the card). Nothing without Slack, nor while a
    replayed history holds every notice (no card was posted about the past)."""
    if not slack.slack_configured() or notices_all_held():
        return
    if ids := sorted(set(ticket_ids)):
        after_commit_robust(_cards_refresh_queue, ids)


def _cards_refresh_queue(ticket_ids: list[int]) -> None:
    for card_id in SlackCard.objects.filter(ticket_id__in=ticket_ids).values_list("pk", flat=True):
        key = _card_refresh_key(card_id)
        if not django_cache.add(key, 1, timeout=CARD_REFRESH_QUEUED_FOR):
            continue  # one is queued and has not read the ticket yet
        try:
            tasks.slack_card_refresh_task.apply_async((card_id,), countdown=CARD_REFRESH_AFTER_SECONDS, retry=False)
        except Exception:
            django_cache.delete(key)  # not queued after all: let the next change try
            raise


def slack_card_remember(*, ticket_id: int, channel: str, ts: str, headline: str) -> None:
    """The Slack message someone acted on is the ticket's card in that conversation, with this headline (a click
    on a card: "Acknowledged by Alex from Slack"). Inside the acting transaction."""
    SlackCard.objects.update_or_create(
        ticket_id=ticket_id, channel=channel, defaults={"ts": ts, "headline": headline[: senders.HEADLINE_MAX]}
    )


def slack_card_refresh(*, card_id: int) -> str:
    """Redraw one Slack card as its ticket is now (its buttons follow the status). Safe to run again: it sends the
    state as it is. Raises SlackUnavailable for the task to retry; a card deleted in Slack is forgotten (the next
    notice posts a new one); a refusal is logged and dropped."""
    # from here on a change queues another refresh: this one may read the ticket before that change commits
    django_cache.delete(_card_refresh_key(card_id))
    card = SlackCard.objects.select_related("ticket__severity", "ticket__queue", "ticket__assignee").filter(pk=card_id)
    row = card.first()
    if row is None:
        return "gone"
    drawn = ticket_card(row.ticket, headline=row.headline)
    try:
        slack.slack_update(
            channel=row.channel, ts=row.ts, text=slack.card_text(drawn), attachments=slack.card_attachments(drawn)
        )
    except slack.SlackMessageGone:
        SlackCard.objects.filter(pk=row.pk, ts=row.ts).delete()  # unless a notice posted a new one meanwhile
        return "deleted in Slack"
    except slack.SlackNotConfigured:
        return "not configured"
    except slack.SlackRefused as exc:
        log.warning("Slack card %s of ticket %s not redrawn: %s", row.ts, row.ticket.reference, exc)
        return "refused"
    return "redrawn"
