"""Outgoing mail threads by ticket in mail clients and answers back to the queue's mailbox, where the reply becomes a
comment: the round trip a person makes with the Reply button."""

import email
from email import policy

import pytest
from django.core import mail

from accounts.roles import Role
from mail import services
from mail.models import InboundEmail
from notifications import services as notifications
from notifications.models import Notification
from tests.factories import TicketFactory, UserFactory
from tickets.models import Comment

pytestmark = pytest.mark.django_db


def sent_for(ticket, person, key: str) -> email.message.EmailMessage:
    notifications.notify(ticket=ticket, reason="Needs your answer", key=key, users=[person])
    row = Notification.objects.get(key=f"{key}:user:{person.pk}")
    assert notifications.notification_deliver(notification_id=row.pk) == "sent"
    return email.message_from_bytes(mail.outbox[-1].message().as_bytes(), policy=policy.default), row


def test_a_tickets_mail_threads_by_ticket_and_replies_to_the_queue_mailbox(mailbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    jo = UserFactory(email="jo@example.com", role=Role.REQUESTER)
    ticket = TicketFactory(requester=jo, queue=mailbox.queue, title="VPN drops")
    # when: two notices about the ticket
    first, row1 = sent_for(ticket, jo, "one")
    second, row2 = sent_for(ticket, jo, "two")
    # then: each its own Message-ID, both under the ticket's root; replies go to the queue's mailbox
    domain = settings.EMAIL_DOMAIN
    assert first["Message-ID"] == f"<sd-{ticket.pk}.{row1.pk}@{domain}>"
    assert second["Message-ID"] == f"<sd-{ticket.pk}.{row2.pk}@{domain}>"
    assert first["References"] == first["In-Reply-To"] == f"<sd-{ticket.pk}@{domain}>"
    assert first["Reply-To"] == "support@example.net"
    assert first["Auto-Submitted"] == "auto-generated"  # out-of-office replies are not sent to it
    assert f"[{ticket.reference} " in first["Subject"]


def test_replying_to_a_notice_comments_on_its_ticket(mailbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    jo = UserFactory(email="jo@example.com", role=Role.REQUESTER)
    ticket = TicketFactory(requester=jo, queue=mailbox.queue, title="VPN drops")
    notice, _ = sent_for(ticket, jo, "one")
    # when: Jo presses Reply; the client quotes the notice and sets the threading headers
    reply = email.message.EmailMessage()
    reply["From"] = "Jo <jo@example.com>"
    reply["To"] = notice["Reply-To"]
    reply["Subject"] = "Re: " + notice["Subject"]
    reply["Message-ID"] = "<reply-1@example.com>"
    reply["In-Reply-To"] = notice["Message-ID"]
    reply["References"] = f"{notice['References']} {notice['Message-ID']}"
    quoted = "\n".join("> " + line for line in notice.get_content().splitlines())
    reply.set_content(f"Yes, still broken.\n\nOn Mon, Supportdesk wrote:\n{quoted}\n")
    row = services.email_receive(mailbox=mailbox, raw=reply.as_bytes(), delivery_id="maildir:reply-1")
    # then
    assert (row.status, row.ticket) == (InboundEmail.Status.COMMENTED, ticket)
    assert Comment.objects.get(ticket=ticket).body == "Yes, still broken."


def test_a_queue_without_a_mailbox_sends_no_reply_to(queue, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    jo = UserFactory(email="jo@example.com", role=Role.REQUESTER)
    notice, _ = sent_for(TicketFactory(requester=jo, queue=queue), jo, "one")
    assert notice["Reply-To"] is None
    assert notice["Message-ID"].startswith("<sd-")
