"""Writes: a message received becomes a ticket or a comment, once; the transports (SES, IMAP, Maildir) feed it.

``email_receive`` is the one entry point: one transaction, keyed by the transport's delivery id, so a re-delivery
does nothing. Whatever the message, a row records it and what became of it: refused and unreadable mail is kept
for an admin to read and receive again (``inbound_email_retry``).
"""

import logging
import re
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, user_set_role
from notifications.services import notify_person
from supportdesk.errors import DomainError
from tickets import reference, timeline
from tickets.exceptions import InvalidAttachment
from tickets.models import Ticket
from tickets.selectors import ticket_is_visible
from tickets.services import attachment_validate, comment_add, ticket_create

from . import selectors
from .models import InboundEmail, Mailbox
from .parsing import Attached, ParsedEmail, email_parse, reply_text, signature_cut

log = logging.getLogger(__name__)

VIA = "email"
S = InboundEmail.Status
HEADERS_KEPT = 64 * 1024  # of a message over the size limit: enough to say who sent it, and to tell them
TITLE_MAX = 200  # Ticket.title
DETAIL_MAX = 500  # InboundEmail.detail


class MailRefused(DomainError):
    """A message the portal will not act on; str() is the sentence the sender is told."""


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def email_receive(
    *,
    mailbox: Mailbox,
    raw: bytes,
    delivery_id: str,
    size: int | None = None,
    refusal: str = "",
    now: datetime | None = None,
) -> InboundEmail:
    """Take one message delivered to ``mailbox`` and act on it, once per ``delivery_id``.

    ``size``: the message's real size when ``raw`` holds only its headers (a transport does not fetch a message
    over MAIL_MAX_BYTES). ``refusal``: the transport's reason to refuse it (SES found spam or a virus)."""
    now = now or timezone.now()
    size = len(raw) if size is None else size
    with transaction.atomic():
        row, created = InboundEmail.objects.get_or_create(
            delivery_id=delivery_id,
            defaults={
                "mailbox": mailbox,
                "raw": raw[:HEADERS_KEPT] if size > settings.MAIL_MAX_BYTES else raw,
                "size": size,
                "received_at": now,
                "status": S.FAILED,
            },
        )
        if created:  # a re-delivery (or one that waited for a concurrent twin) finds the row and leaves it
            _act(row, refusal=refusal, now=now)
        return row


@transaction.atomic
def inbound_email_retry(*, email: InboundEmail, now: datetime | None = None) -> InboundEmail:
    """An admin receives a refused or unreadable message again (after adding the sender's domain, say)."""
    row = InboundEmail.objects.select_for_update().select_related("mailbox__queue").get(pk=email.pk)
    if row.status not in (S.REFUSED, S.FAILED):
        raise DomainError(f"This message already {row.get_status_display().lower()}; it is not received twice.")
    row.ticket, row.detail = None, ""
    _act(row, refusal="", now=now or timezone.now())
    return row


def _act(row: InboundEmail, *, refusal: str, now: datetime) -> None:
    oversize = row.size > settings.MAIL_MAX_BYTES
    try:
        parsed = email_parse(bytes(row.raw), headers_only=oversize)
    except Exception as exc:  # whatever breaks the parser, the message is kept for an admin
        log.exception("Inbound email %s could not be read", row.delivery_id)
        _record(row, S.FAILED, f"The message could not be read ({exc.__class__.__name__}: {exc}).")
        return
    row.message_id, row.sender, row.subject = parsed.message_id[:300], parsed.sender, parsed.subject[:300]
    why_ignored = _ignored_why(row, parsed, now=now)
    if why_ignored:
        _record(row, S.IGNORED, why_ignored)
        return
    try:
        if refusal:
            raise MailRefused(refusal)
        if oversize:
            limit = settings.MAIL_MAX_BYTES
            raise MailRefused(f"Your message ({_mb(row.size)}) is larger than the {_mb(limit)} we accept by email.")
        if not parsed.sender:
            raise MailRefused("The message names no sender.")
        with transaction.atomic(), timeline.via(VIA):  # a savepoint: a refusal half way leaves no ticket
            status, ticket = _file(row.mailbox, parsed)
    except (DomainError, ValidationError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        _tell_refused(row, text, spam=bool(refusal), now=now)
        _record(row, S.REFUSED, text)
        return
    row.ticket = ticket
    _record(row, status, "")


_RECORDED = ["message_id", "sender", "subject", "status", "detail", "ticket", "replied_at"]  # not raw: up to 40 MB


def _record(row: InboundEmail, status: str, detail: str) -> None:
    row.status, row.detail = status, detail[:DETAIL_MAX]
    row.save(update_fields=_RECORDED)


def _ignored_why(row: InboundEmail, parsed: ParsedEmail, *, now: datetime) -> str:
    """Mail nobody is to answer: machines' (auto-replies, bounces, lists), ours coming back, a flood, a copy."""
    if parsed.automatic:
        return f"Ignored: {parsed.automatic}."
    if parsed.sender in selectors.own_addresses():
        return "Ignored: sent from Supportdesk's own address (a loop)."
    if parsed.message_id:
        copies = InboundEmail.objects.filter(mailbox=row.mailbox, message_id=parsed.message_id).exclude(pk=row.pk)
        if copy := copies.values_list("pk", flat=True).first():
            return f"Ignored: a copy of message #{copy}, received already."
    limit = settings.MAIL_SENDER_MAX_PER_HOUR
    if parsed.sender and selectors.sender_received_count(sender=parsed.sender, now=now) > limit:
        return f"Ignored: more than {limit} messages from {parsed.sender} within an hour (a loop?)."
    return ""


def _file(mailbox: Mailbox, parsed: ParsedEmail) -> tuple[str, Ticket]:
    """A comment on the ticket the message answers, if its sender sees that ticket; else a new ticket."""
    user = get_user_model().objects.filter(email__iexact=parsed.sender).first()
    if user is not None and not user.is_active:
        raise MailRefused("Your Supportdesk account is disabled, so we cannot take requests from it.")
    if not parsed.text.strip() and not parsed.attachments:
        raise MailRefused("We could read no text in your message, and it has no files: there is nothing to file.")
    files, notes = _uploads(parsed.attachments)
    ticket = _answered(parsed, user) if user is not None else None
    if ticket is not None:
        body = "\n\n".join(filter(None, [reply_text(parsed.text), notes])) or "(Files sent by email, with no text.)"
        comment_add(ticket=ticket, author=user, body=body, attachments=files)
        return S.COMMENTED, ticket
    if user is None:
        user = _requester_new(mailbox, parsed)
    severity = reference.default_severity()
    if severity is None:
        raise MailRefused("Supportdesk is not set up to take requests yet; please try again later.")
    title = parsed.subject or "(no subject)"
    title = title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"
    # a new request keeps what it quotes or forwards (that may be the point); only its signature goes
    description = "\n\n".join(filter(None, [signature_cut(parsed.text), notes])) or "(No text.)"
    ticket = ticket_create(
        requester=user,
        title=title,
        severity=severity,
        kind=Ticket.Kind.SERVICE_REQUEST,
        description=description,
        queue=mailbox.queue,
        attachments=files,
        actor=user,
    )
    return S.OPENED, ticket


def _answered(parsed: ParsedEmail, user: User) -> Ticket | None:
    """The ticket a reply is about: our Message-IDs in In-Reply-To/References, else [SD-123] in the subject. One the
    sender may not see does not exist for them: their mail opens a ticket of its own."""
    pattern = re.compile(rf"^sd-(\d+)(?:\.\d+)?@{re.escape(settings.EMAIL_DOMAIN)}$", re.IGNORECASE)
    pks = [int(m[1]) for i in parsed.thread_ids if (m := pattern.match(i))]
    subject = re.search(rf"\[{re.escape(settings.TICKET_REFERENCE_PREFIX)}-(\d+)\b", parsed.subject, re.IGNORECASE)
    if subject:
        pks.append(int(subject[1]))
    if not pks:
        return None
    ticket = Ticket.objects.filter(pk=pks[0]).first()
    return ticket if ticket is not None and ticket_is_visible(user=user, ticket=ticket) else None


def _requester_new(mailbox: Mailbox, parsed: ParsedEmail) -> User:
    domain = parsed.sender.rpartition("@")[2]
    if domain not in mailbox.domains:
        raise MailRefused(
            f"We take requests by email only from people with a Supportdesk account, or from {_domains(mailbox)}. "
            "Please ask your administrator for an account, or file the request in the portal."
        )
    first, _, last = parsed.sender_name.strip().partition(" ")
    user = User(email=parsed.sender, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()  # they sign in through "forgot password", which proves the address is theirs
    user.save()
    user_set_role(user=user, role=Role.REQUESTER)
    return user


def _domains(mailbox: Mailbox) -> str:
    return ", ".join(sorted(mailbox.domains)) or "no other addresses"


def _uploads(attached: list[Attached]) -> tuple[list[SimpleUploadedFile], str]:
    """The files the attachment limits allow, in order; a note naming those left out (the mail is not refused)."""
    kept: list[SimpleUploadedFile] = []
    left: list[str] = []
    total = 0
    for item in attached:
        upload = SimpleUploadedFile(item.filename, item.content)
        try:
            attachment_validate(upload)
        except InvalidAttachment as exc:
            left.append(str(exc))
            continue
        if (
            len(kept) >= settings.ATTACHMENT_MAX_FILES
            or total + len(item.content) > settings.ATTACHMENT_MAX_TOTAL_BYTES
        ):
            left.append(f"{item.filename}: over the limit for one message.")
            continue
        kept.append(upload)
        total += len(item.content)
    return kept, ("Not attached: " + " ".join(left)) if left else ""


def _tell_refused(row: InboundEmail, text: str, *, spam: bool, now: datetime) -> None:
    """A polite reply, through the outbox, at most once an hour per sender; never to spam or a sender unknown."""
    if spam or not row.sender or selectors.sender_told_recently(sender=row.sender, now=now):
        return
    body = (
        f"Hello,\n\nYour message “{row.subject or '(no subject)'}” to {row.mailbox.address} was not filed:\n\n"
        f"{text}\n\nThis is an automatic reply; there is no need to answer it."
    )
    notify_person(
        ticket=None,
        key=f"mail:refused:{row.pk}",
        target={"email": row.sender},
        reason="Your email was not filed",
        subject=f"Re: {row.subject}" if row.subject else "Your email to Supportdesk",
        body=body,
    )
    row.replied_at = now
