"""Reads: the mailbox a message is for, a queue's reply address, the inbound log."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from .models import InboundEmail, Mailbox

HOUR = timedelta(hours=1)


def reply_address(*, queue_id: int) -> str:
    """settings.NOTICE_REPLY_TO: the address replies to a queue's mail go to, so they come back as comments."""
    return Mailbox.objects.filter(queue_id=queue_id, enabled=True).values_list("address", flat=True).first() or ""


def own_addresses() -> frozenset[str]:
    """Mail from these is ours coming back (a loop), never a person's."""
    addresses = Mailbox.objects.values_list("address", flat=True)
    return frozenset(a.lower() for a in [*addresses, settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL])


def mailbox_for(*, recipients: list[str], transport: str) -> Mailbox | None:
    """The enabled mailbox of this transport that one of the recipients names."""
    wanted = [r.lower() for r in recipients]
    if not wanted:
        return None
    mailboxes = Mailbox.objects.filter(address__in=wanted, transport=transport, enabled=True).select_related("queue")
    return min(mailboxes, key=lambda m: wanted.index(m.address.lower()), default=None)


def sender_received_count(*, sender: str, now: datetime) -> int:
    return InboundEmail.objects.filter(sender=sender, received_at__gt=now - HOUR).count()


def sender_told_recently(*, sender: str, now: datetime) -> bool:
    """A refusal went to this sender within the hour: one is enough, and two auto-repliers would loop."""
    return InboundEmail.objects.filter(sender=sender, replied_at__gt=now - HOUR).exists()


def inbound_emails(*, status: str = "") -> QuerySet[InboundEmail]:
    emails = InboundEmail.objects.select_related("mailbox", "ticket").defer("raw").order_by("-received_at", "-pk")
    return emails.filter(status=status) if status else emails
