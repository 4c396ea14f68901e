"""Polling IMAP and Maildir mailboxes. Safe to run twice (acks_late): each message is received once by its delivery
id, and let go of on the server only after that committed."""

from celery import shared_task

from .models import Mailbox
from .transports import mailbox_poll

POLLED = (Mailbox.Transport.IMAP, Mailbox.Transport.MAILDIR)


@shared_task(acks_late=True)
def mailboxes_poll_task() -> int:
    """Every minute: a poll per enabled IMAP or Maildir mailbox, each on its own (one slow server holds no other)."""
    ids = list(Mailbox.objects.filter(enabled=True, transport__in=POLLED).values_list("pk", flat=True))
    for pk in ids:
        mailbox_poll_task.delay(pk)
    return len(ids)


# A poll takes at most POLL_BATCH messages; the time limit ends one stuck on a server that stopped answering
@shared_task(acks_late=True, time_limit=300)
def mailbox_poll_task(mailbox_pk: int) -> int:
    mailbox = Mailbox.objects.filter(pk=mailbox_pk, enabled=True).select_related("queue").first()
    return mailbox_poll(mailbox=mailbox) if mailbox is not None else 0
