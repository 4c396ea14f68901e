"""The page engine: a person is paged about a ticket, step by step as their rules say, until someone acknowledges
(or resolves) it. Each step is one outbox message; a step that fails for good moves the page on at once.

Locks, in one order: the ticket (by callers that change it), then the page. Steps queued twice run once: each
carries the page's token, and the page takes a new one whenever it moves."""

import logging
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from notifications import slack
from notifications.messages import link_for
from notifications.models import Notification
from notifications.services import notify_person
from supportdesk.commit import after_commit_robust
from tickets import policies, timeline
from tickets import services as ticket_services
from tickets.models import Ticket
from tickets.workflow import Action

from ..exceptions import LinkRefused
from ..links import link_id, link_signed, link_url
from ..models import ContactMethod, Medium, Page, PageLink, band_for
from ..selectors import describe, page_plan

logger = logging.getLogger(__name__)
LOST_AFTER = timedelta(minutes=1)  # a step this late lost its timer (broker outage, dead worker): the sweep runs it
SWEEP_BATCH = 200
KEY_PREFIX = "page:"
SMS_TITLE_CHARS = 60
TARGET_FIELD = {Medium.EMAIL: "email", Medium.SLACK: "slack_to", Medium.SMS: "sms_to", Medium.VOICE: "call_to"}


def _schedule(page: Page, delay: timedelta) -> None:
    from ..tasks import page_step_task  # tasks import this module

    # A broker outage must not undo the change: the sweep runs the step
    after_commit_robust(page_step_task.apply_async, args=[page.pk, str(page.token)], countdown=delay.total_seconds())


def page_start(*, ticket: Ticket, user: User, reason: str, key: str, now: datetime | None = None) -> Page | None:
    """Start paging the person about the ticket, once per key (the cause: an escalation step, say), and not while
    they are being paged about it already. Call inside the caller's transaction: the page and its first messages
    commit with it. Steps due at once go now; the next waits on its timer. Nothing starts for a ticket acknowledged
    or closed, or a person who cannot be reached."""
    if not user.is_active or not ticket.is_open or ticket.acknowledged_at is not None:
        return None
    now = now or timezone.now()
    existing = Page.objects.filter(key=key).first()
    if existing is not None:
        return existing
    # Someone already being paged about this ticket (the primary and the secondary layer are the same person, a
    # chain that names them twice) follows the page they have: a second would text and call them twice over
    running = Page.objects.filter(ticket_id=ticket.pk, user_id=user.pk, stopped_at__isnull=True).first()
    if running is not None:
        return running
    band = band_for(ticket.severity)
    plan = page_plan(user=user, queue_id=ticket.queue_id, band=band)
    steps = [{"delay": int(d.total_seconds()), "medium": str(m)} for d, m in plan.steps]
    try:
        with transaction.atomic():  # a savepoint: a concurrent start of the same key wins, this one reads it
            page = Page.objects.create(
                ticket=ticket,
                user=user,
                key=key,
                reason=reason[:300],
                band=band,
                rules_from=plan.rules_from[:120],
                steps=steps,
                started_at=now,
            )
    except IntegrityError:
        return Page.objects.get(key=key)
    timeline.notified(
        ticket=ticket,
        channel=user.display_name,
        outcome="paging",
        detail=f"{describe(plan.steps)}, until acknowledged ({plan.rules_from}). {reason}",
    )
    _advance(page, ticket, now)
    return page


def _advance(page: Page, ticket: Ticket, now: datetime, *, at_once: bool = False) -> None:
    """Fire the steps now due (the next one whatever its delay when ``at_once``), then wait for the one after."""
    page.token = uuid4()  # a step queued before now is stale
    page.next_at = None
    while page.next_step < len(page.steps):
        step = page.steps[page.next_step]
        due = page.started_at + timedelta(seconds=step["delay"])
        if due > now and not at_once:
            page.next_at = due
            _schedule(page, due - now)
            break
        at_once = False
        page.next_step += 1
        _fire(page, ticket, page.next_step, step["medium"], now)
    else:
        page.stopped_at, page.stop_reason = now, "Every rule ran."
    page.save(update_fields=["token", "next_at", "next_step", "stopped_at", "stop_reason"])


def _fire(page: Page, ticket: Ticket, number: int, medium: str, now: datetime) -> None:
    """Step ``number`` (from 1): one message, with its own one-tap link. A step by SMS, call or Slack for someone
    without a verified number or Slack account (or with Slack no longer configured) goes by email instead, so that a
    page is never dropped; without an address it is noted."""
    user, of = page.user, len(page.steps)
    note, method = "", None
    if medium == Medium.SLACK and not slack.slack_configured():
        note, medium = " (Slack is not configured: by email instead)", Medium.EMAIL
    if medium != Medium.EMAIL:
        method = ContactMethod.objects.filter(user=user, medium=medium, verified_at__isnull=False).first()
        if method is None:
            what = "Slack account" if medium == Medium.SLACK else f"number for {Medium(medium).label}"
            note, medium = f" (no verified {what}: by email instead)", Medium.EMAIL
    address = method.address if method is not None else user.email
    where = f"{user.display_name} by {Medium(medium).label}"
    if not address:
        detail = f"Step {number} of {of}{note}: {user.display_name} has no email address either."
        timeline.notified(ticket=ticket, channel=where, outcome="skipped", detail=detail)
        return
    link = PageLink.objects.create(page=page, via=medium, created_at=now, expires_at=now + _link_life())
    url = link_url(link, reference=ticket.reference, ticket_id=ticket.pk, user_id=user.pk)
    sent = notify_person(
        ticket=ticket,
        key=f"{KEY_PREFIX}{page.pk}:{number}",
        target={TARGET_FIELD[Medium(medium)]: address},
        reason=page.reason,
        subject=f"[{ticket.reference} {ticket.severity.name}] Page: {ticket.title}",
        body=_body(medium, ticket, page, url),
        link=url,
    )
    if sent:  # else held by a quiet rule, which the outbox noted
        detail = f"Step {number} of {of}{note}. {page.reason}"
        timeline.notified(ticket=ticket, channel=where, outcome="paged", detail=detail)


def _link_life() -> timedelta:
    return timedelta(hours=settings.PAGE_LINK_HOURS)


def _body(medium: str, ticket: Ticket, page: Page, url: str) -> str:
    title = ticket.title if len(ticket.title) <= SMS_TITLE_CHARS else ticket.title[: SMS_TITLE_CHARS - 1] + "…"
    if medium == Medium.SMS:  # one or two segments: the reference, the severity, the link first-class
        return f"{ticket.reference} {ticket.severity.name}: {title}\nAck: {url}"
    if medium == Medium.SLACK:  # under the ticket card, whose buttons act too
        return f"Acknowledge with one tap: {url} (the link works once, for {settings.PAGE_LINK_HOURS} hours)"
    if medium == Medium.VOICE:
        spoken = " ".join(ticket.reference.replace("-", " "))
        return (
            f"This is Supportdesk. You are paged about ticket {spoken}, {ticket.severity.label}: {ticket.title}. "
            f"Acknowledge from the text message, the portal, or this link: {url}"
        )
    return (
        f"You are paged about {ticket.reference} ({ticket.severity.name}): {ticket.title}\n\n{page.reason}\n\n"
        f"Acknowledge with one tap: {url}\n(the link works once, for {settings.PAGE_LINK_HOURS} hours)\n\n"
        f"The ticket: {link_for(ticket.get_absolute_url())}"
    )


def _stop_reason(ticket: Ticket) -> str:
    if not ticket.is_open:
        return f"The ticket is {ticket.get_status_display().lower()}."
    return "The ticket was acknowledged." if ticket.acknowledged_at is not None else ""


def page_step(*, page_id: int, token: UUID | str, now: datetime | None = None) -> str:
    """Run the step the token was issued for. A stale token (ran already, the page moved on or stopped) does
    nothing; a ticket acknowledged or closed meanwhile stops the page. Returns what happened."""
    with transaction.atomic():
        page = (
            Page.objects.select_for_update(of=("self",))
            .select_related("ticket__severity", "user")
            .filter(pk=page_id, token=token, stopped_at__isnull=True)
            .first()
        )
        if page is None:
            return "stale"
        now = now or timezone.now()
        if why := _stop_reason(page.ticket):
            _stop(page, why, now)
            return "stopped"
        _advance(page, page.ticket, now)
        return "ran"


def _stop(page: Page, why: str, now: datetime) -> None:
    page.stopped_at, page.stop_reason, page.next_at, page.token = now, why[:200], None, uuid4()
    page.save(update_fields=["stopped_at", "stop_reason", "next_at", "token"])


def pages_sweep(*, now: datetime | None = None, batch_size: int = SWEEP_BATCH) -> int:
    """Run the steps whose timer was lost, each in its own transaction; a failing one waits for the next sweep."""
    now = now or timezone.now()
    late = Page.objects.filter(stopped_at__isnull=True, next_at__lte=now - LOST_AFTER)
    ran = 0
    for pk, token in late.order_by("next_at").values_list("pk", "token")[:batch_size]:
        try:
            ran += page_step(page_id=pk, token=token, now=now) == "ran"
        except Exception:
            logger.exception("Page %s: the step failed; the next sweep tries again.", pk)
    return ran


def page_delivery_failed(*, notification: Notification) -> None:
    """settings.NOTICE_FAILED: a page's message failed for good (refused, opted out, dead). If it was the page's
    latest step, the next rule fires now rather than at its time. Called in the outbox's transaction."""
    if not notification.key.startswith(KEY_PREFIX):
        return
    page_pk, number, *_ = notification.key.removeprefix(KEY_PREFIX).split(":")
    page = (
        Page.objects.select_for_update(of=("self",))
        .select_related("ticket__severity", "user")
        .filter(pk=int(page_pk), stopped_at__isnull=True, next_step=int(number))
        .first()
    )
    if page is None:
        return  # acknowledged, done, or a later step went already
    now = timezone.now()
    if why := _stop_reason(page.ticket):
        _stop(page, why, now)
        return
    if page.next_step < len(page.steps):
        detail = f"Step {number} of {len(page.steps)} failed: step {page.next_step + 1} goes now, not at its time."
        timeline.notified(ticket=page.ticket, channel=page.user.display_name, outcome="next rule", detail=detail)
    _advance(page, page.ticket, now, at_once=True)


def pages_stop(*, ticket: Ticket, reason: str, now: datetime | None = None) -> int:
    """Stop every page about the ticket; steps already queued find their token stale. One UPDATE."""
    running = Page.objects.filter(ticket_id=ticket.pk, stopped_at__isnull=True)
    return running.update(stopped_at=now or timezone.now(), stop_reason=reason[:200], next_at=None, token=uuid4())


VIA_LABELS: dict[str, str] = {
    Medium.EMAIL: "email",
    Medium.SLACK: "Slack",
    Medium.SMS: "SMS",
    Medium.VOICE: "a phone call",
}


@transaction.atomic
def page_acknowledge(*, ticket: Ticket, user: User, via: str, now: datetime | None = None) -> str:
    """Acknowledge the ticket as the person, from a page (via: email, sms, voice, slack), and stop its pages.
    Returns "acknowledged", or "already" when someone acknowledged it first (nothing changes)."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("severity", "queue").get(pk=ticket.pk)
    how = VIA_LABELS.get(via, via)
    if not ticket.is_open:
        raise LinkRefused(
            f"{ticket.reference} is {ticket.get_status_display().lower()}: there is nothing to acknowledge."
        )
    if ticket.acknowledged_at is not None:
        pages_stop(ticket=ticket, reason="The ticket was acknowledged.", now=now)
        return "already"
    # from where: the ticket page says "from SMS", and the paging reaction stops the pages "from SMS" too
    with timeline.via(via):
        if ticket.status == Ticket.Status.NEW and policies.may_transition(user, ticket, Action.ACKNOWLEDGE):
            ticket_services.ticket_transition(
                ticket=ticket, actor=user, action=Action.ACKNOWLEDGE, note=f"Acknowledged from {how}.", now=now
            )
        else:  # in progress already (by the system), unacknowledged: taking it is the acknowledgement
            ticket_services.ticket_assign(ticket=ticket, actor=user, assignee=ticket.assignee or user)
            timeline.notified(ticket=ticket, channel=user.display_name, outcome="acknowledged", detail=f"From {how}.")
    return "acknowledged"


def page_link_check(*, reference: str, token: str, signed_in: User | None, now: datetime | None = None) -> PageLink:
    """The link the token stands for, if it may still acknowledge: signed for this ticket and person, not used,
    not expired, and not opened by someone else signed in. Else LinkRefused says which."""
    now = now or timezone.now()
    pk = link_id(token)
    link = (
        PageLink.objects.select_related("page__ticket__severity", "page__user").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if (
        link is None
        or link.page.ticket.reference != reference
        or not link_signed(token, link, ticket_id=link.page.ticket_id, user_id=link.page.user_id)
    ):
        raise LinkRefused("This link is not valid: it may have been cut short or changed. Open the ticket instead.")
    if link.used_at is not None:
        when = timezone.localtime(link.used_at).strftime("%H:%M %Z on %d %b")
        raise LinkRefused(f"This link was used already, at {when}; a link acknowledges once.")
    if now >= link.expires_at:
        raise LinkRefused("This link has expired. Open the ticket to acknowledge it.")
    user = link.page.user
    if signed_in is not None and signed_in.is_authenticated and signed_in.pk != user.pk:
        raise LinkRefused(f"This link is for {user.display_name}, and you are signed in as {signed_in.display_name}.")
    if not user.is_active or not policies.may_work(user, link.page.ticket):
        raise LinkRefused(f"{user.display_name} no longer works this ticket's queue: the link does nothing.")
    return link


def page_link_use(*, reference: str, token: str, signed_in: User | None, now: datetime | None = None) -> str:
    """Acknowledge with a one-tap link (the token is the credential): once, before it expires, as its person."""
    now = now or timezone.now()
    with transaction.atomic():
        link = page_link_check(reference=reference, token=token, signed_in=signed_in, now=now)
        # Locked and checked again: two taps at once, one acknowledgement
        if PageLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now) != 1:
            raise LinkRefused("This link was used already; a link acknowledges once.")
        return page_acknowledge(ticket=link.page.ticket, user=link.page.user, via=link.via, now=now)
