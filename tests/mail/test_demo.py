"""`make run` delivers demo mail: seed_demo --maildir gives the Service desk a mailbox with mail waiting, which the
poller turns into tickets and a comment."""

from io import StringIO

import pytest
from django.core.management import call_command

from mail.models import InboundEmail, Mailbox
from mail.transports import mailbox_poll
from tickets.models import Comment, TicketEvent

pytestmark = pytest.mark.django_db


def test_the_demo_mail_becomes_tickets_a_comment_and_an_ignored_auto_reply(tmp_path):
    folder = tmp_path / "maildir"
    # when: make run seeds (twice: a restart), and the poller runs
    call_command("seed_demo", "--maildir", str(folder), stdout=StringIO())
    call_command("seed_demo", "--maildir", str(folder), stdout=StringIO())
    mailbox = Mailbox.objects.get()
    assert mailbox_poll(mailbox=mailbox) == 4
    # then
    outcomes = sorted((e.sender, e.status) for e in InboundEmail.objects.all())
    assert outcomes == [
        ("dana@example.com", "opened"),
        ("requester@example.com", "commented"),
        ("sam@example.com", "ignored"),
        ("sam@example.com", "opened"),
    ]
    reply = InboundEmail.objects.get(status="commented")
    comment = Comment.objects.get(ticket=reply.ticket, author__email="requester@example.com")
    assert comment.body == "Customers in Spain still see the 502 now and then, about one in twenty."
    assert TicketEvent.objects.get(ticket=reply.ticket, kind="commented", actor=comment.author).data["via"] == "email"
    assert mailbox_poll(mailbox=mailbox) == 0
