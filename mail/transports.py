"""How mail arrives: SES through the SNS inbox, IMAP and Maildir by polling. Each hands every message to
``email_receive`` and lets go of it (flags it seen, moves it to cur/) only after that committed: a crash in between
delivers it again, and its delivery id makes the second time do nothing."""

import base64
import binascii
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from awsgateway.errors import RETRYABLE, AwsError
from awsgateway.s3 import S3Location, s3_object_read

from . import selectors
from .models import InboundEmail, Mailbox
from .services import HEADERS_KEPT, email_receive

log = logging.getLogger(__name__)

IMAP_TIMEOUT = 30  # seconds: a hung server must not hold a worker
POLL_BATCH = 50  # messages a poll takes: a backlog drains over a few minutes, each poll short
SEEN = rb"\Seen"
# SES's verdicts that refuse a message outright; nobody is told (a reply to spam is backscatter)
_VERDICTS = {"spamVerdict": "SES judged it to be spam.", "virusVerdict": "SES found a virus in it."}


def outcome_of(row: InboundEmail) -> str:
    """For the SNS inbox's outcome column: what the message became, in a few words."""
    ticket = f" {row.ticket.reference}" if row.ticket_id and row.ticket else ""
    return f"email {row.status}{ticket}" + (f": {row.detail}" if row.detail else "")


def ses_notification_receive(*, notification: dict[str, Any]) -> str:
    """An SES "Received" notification from the SNS inbox (docs/aws.md#ses-receiving): the message inline (SNS
    action) or in S3 (S3 action). Returns the outcome for the inbox; a retryable AWS error is raised, for the inbox's
    task to retry."""
    mail, receipt = notification.get("mail") or {}, notification.get("receipt") or {}
    message_id = str(mail.get("messageId") or "")
    if not message_id:
        return "refused: an SES notification without mail.messageId"
    recipients = [str(r) for r in receipt.get("recipients") or mail.get("destination") or []]
    mailbox = selectors.mailbox_for(recipients=recipients, transport=Mailbox.Transport.SES)
    if mailbox is None:
        return f"ignored: no enabled SES mailbox for {', '.join(recipients)[:100] or 'its recipients'}"
    action = receipt.get("action") or {}
    refusal = " ".join(text for key, text in _VERDICTS.items() if (receipt.get(key) or {}).get("status") == "FAIL")
    dmarc = (receipt.get("dmarcVerdict") or {}).get("status")
    if dmarc == "FAIL" and str(receipt.get("dmarcPolicy", "")).lower() in ("reject", "quarantine"):
        refusal += " Its sender's domain says it did not send it (DMARC failed)."
    try:
        raw, size = _ses_content(notification, action)
    except RETRYABLE:
        raise
    except (AwsError, ValueError) as exc:
        return f"refused: the message could not be read: {exc}"[:200]
    row = email_receive(mailbox=mailbox, raw=raw, size=size, delivery_id=f"ses:{message_id}", refusal=refusal.strip())
    return outcome_of(row)[:200]


def _ses_content(notification: dict[str, Any], action: dict[str, Any]) -> tuple[bytes, int]:
    if action.get("type") == "S3":
        location = S3Location(bucket=str(action.get("bucketName", "")), key=str(action.get("objectKey", "")))
        stored = s3_object_read(location=location, max_bytes=settings.MAIL_MAX_BYTES)
        return stored.body, stored.size
    content = notification.get("content")
    if not isinstance(content, str):
        raise ValueError("no content (an SNS action carries the message in it)")
    if action.get("encoding") == "BASE64":
        try:
            raw = base64.b64decode(content, validate=True)
        except binascii.Error as exc:
            raise ValueError("its content is not base64") from exc
    else:
        raw = content.encode("utf-8", errors="surrogateescape")
    return raw, len(raw)


def mailbox_poll(*, mailbox: Mailbox, now: datetime | None = None) -> int:
    """Take the new messages of an IMAP or Maildir mailbox; returns how many. A server or folder that cannot be read
    is recorded on the mailbox (the admin list shows it) and tried again at the next poll."""
    now = now or timezone.now()
    error = ""
    taken = 0
    try:
        if mailbox.transport == Mailbox.Transport.IMAP:
            taken = _imap_poll(mailbox)
        elif mailbox.transport == Mailbox.Transport.MAILDIR:
            taken = _maildir_poll(mailbox)
    except (IMAPClientError, OSError, MailboxUnreadable) as exc:  # OSError: refused, timed out, TLS
        log.warning("Mailbox %s could not be polled: %s", mailbox.address, exc)
        error = f"{exc.__class__.__name__}: {exc}"[:500]
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_error=error)
    return taken


class MailboxUnreadable(Exception):
    """The mailbox is set up so that it cannot be read (no password in the environment, say)."""


@contextmanager
def _imap(mailbox: Mailbox) -> Iterator[IMAPClient]:
    password = os.environ.get(mailbox.imap_password_env, "")
    if not password:
        raise MailboxUnreadable(f"The environment variable {mailbox.imap_password_env or '(none named)'} is not set.")
    client = IMAPClient(mailbox.imap_host, port=mailbox.imap_port, ssl=mailbox.imap_ssl, timeout=IMAP_TIMEOUT)
    try:
        client.login(mailbox.imap_username, password)
        yield client
    finally:
        with suppress(IMAPClientError, OSError):  # the connection is gone already
            client.logout()


def _imap_poll(mailbox: Mailbox) -> int:
    with _imap(mailbox) as client:
        folder = client.select_folder(mailbox.imap_folder)
        validity = int(folder.get(b"UIDVALIDITY", 0))  # UIDs are unique only together with it
        uids = sorted(client.search(["UNSEEN"]))[:POLL_BATCH]
        if not uids:
            return 0
        sizes = client.fetch(uids, ["RFC822.SIZE"])
        for uid in uids:
            size = int(sizes[uid][b"RFC822.SIZE"])
            # PEEK: the server does not mark it seen until it is ours; an oversized one only for its headers
            part = b"BODY[]" if size <= settings.MAIL_MAX_BYTES else b"BODY[HEADER]"
            fetched = client.fetch([uid], [b"BODY.PEEK[" + part[5:]])
            raw = fetched[uid][part]
            email_receive(mailbox=mailbox, raw=raw, size=size, delivery_id=f"imap:{mailbox.pk}:{validity}:{uid}")
            client.add_flags([uid], [SEEN])  # after the commit: a crash before leaves it unseen, taken next time
        return len(uids)


def _maildir_poll(mailbox: Mailbox) -> int:
    """Maildir (the format Dovecot and Postfix deliver into): new mail in new/, moved to cur/ with the Seen flag
    once taken. Read by name rather than through the stdlib's mailbox.Maildir, which parses every message to tell
    new from cur and rewrites a message to flag it."""
    new, cur = os.path.join(mailbox.maildir_path, "new"), os.path.join(mailbox.maildir_path, "cur")
    if not os.path.isdir(new) or not os.path.isdir(cur):
        raise MailboxUnreadable(f"{mailbox.maildir_path} is not a Maildir folder (it needs new/ and cur/).")
    names = sorted(name for name in os.listdir(new) if not name.startswith("."))[:POLL_BATCH]
    for name in names:
        path = os.path.join(new, name)
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            raw = handle.read(size if size <= settings.MAIL_MAX_BYTES else HEADERS_KEPT)
        unique = name.split(":", 1)[0]  # the part of the name that stays when a client adds flags
        email_receive(mailbox=mailbox, raw=raw, size=size, delivery_id=f"maildir:{mailbox.pk}:{unique}")
        os.replace(path, os.path.join(cur, f"{unique}:2,S"))  # after the commit, as a mail client marks it read
    return len(names)
