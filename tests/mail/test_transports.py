"""IMAP and Maildir polls: each new message received once, let go of on the server only after it committed; a
server that fails is recorded and tried again, and nothing is lost or doubled."""

import os

import pytest

from mail import transports
from mail.models import InboundEmail, Mailbox
from mail.tasks import mailbox_poll_task, mailboxes_poll_task
from tickets.models import Comment, Ticket

from .conftest import sample
from .imap_server import UIDVALIDITY, Folder, imap_server

pytestmark = pytest.mark.django_db
PASSWORD_ENV = "SD_TEST_IMAP_PASSWORD"


@pytest.fixture
def folder(monkeypatch) -> Folder:
    monkeypatch.setenv(PASSWORD_ENV, "s3cret-imap")
    return Folder(username="support", password="s3cret-imap")


@pytest.fixture
def imap_mailbox(folder, queue):
    with imap_server(folder) as port:
        yield Mailbox.objects.create(
            address="support@example.net",
            queue=queue,
            transport=Mailbox.Transport.IMAP,
            imap_host="127.0.0.1",
            imap_port=port,
            imap_ssl=False,
            imap_username="support",
            imap_password_env=PASSWORD_ENV,
            allowed_domains="example.com",
        )


def test_imap_unseen_mail_becomes_tickets_and_is_flagged_seen(folder, imap_mailbox):
    folder.add(sample("plain"))
    folder.add(sample("html_only"))
    # when
    assert mailbox_poll_task.apply(args=(imap_mailbox.pk,)).get() == 2
    # then
    assert sorted(Ticket.objects.values_list("title", flat=True)) == [
        "Printer on floor 3 offline",
        "VPN drops every ten minutes",
    ]
    assert [m.seen for m in folder.messages] == [True, True]
    assert sorted(InboundEmail.objects.values_list("delivery_id", flat=True)) == [
        f"imap:{imap_mailbox.pk}:{UIDVALIDITY}:1",
        f"imap:{imap_mailbox.pk}:{UIDVALIDITY}:2",
    ]
    imap_mailbox.refresh_from_db()
    assert (imap_mailbox.last_error, imap_mailbox.last_polled_at is not None) == ("", True)
    assert mailbox_poll_task.apply(args=(imap_mailbox.pk,)).get() == 0  # nothing new


def test_a_worker_dying_before_the_flag_receives_it_again_without_a_second_ticket(folder, imap_mailbox):
    folder.add(sample("plain"))
    folder.drop_on_store = 1  # the connection drops after the commit, before \\Seen
    # when
    transports.mailbox_poll(mailbox=imap_mailbox)
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error == "abort: command: UID => socket error: EOF"  # imaplib says the server hung up
    assert folder.messages[0].seen is False
    transports.mailbox_poll(mailbox=imap_mailbox)
    # then
    assert folder.messages[0].seen is True
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1


def test_a_failure_while_receiving_leaves_the_message_unseen_for_the_next_poll(folder, imap_mailbox, monkeypatch):
    folder.add(sample("plain"))

    def database_down(**kwargs):
        raise OSError("could not connect to server")

    monkeypatch.setattr(transports, "email_receive", database_down)
    transports.mailbox_poll(mailbox=imap_mailbox)
    assert folder.messages[0].seen is False
    monkeypatch.undo()
    monkeypatch.setenv(PASSWORD_ENV, "s3cret-imap")
    transports.mailbox_poll(mailbox=imap_mailbox)
    assert folder.messages[0].seen is True and Ticket.objects.count() == 1


def test_a_50_mb_imap_message_is_fetched_for_its_headers_only(folder, imap_mailbox):
    folder.add(sample("plain") + b"A" * (50 * 1024 * 1024))
    transports.mailbox_poll(mailbox=imap_mailbox)
    row = InboundEmail.objects.get()
    assert (row.status, row.sender) == (InboundEmail.Status.REFUSED, "jo.bloggs@example.com")
    assert folder.commands[-3].endswith("(BODY.PEEK[HEADER])")
    assert folder.messages[0].seen


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"imap_password_env": "SD_TEST_NOT_SET"},
            "MailboxUnreadable: The environment variable SD_TEST_NOT_SET is not set.",
        ),
        ({"imap_username": "someone-else"}, "LoginError"),
    ],
)
def test_a_mailbox_that_cannot_be_read_says_why(folder, imap_mailbox, change, error):
    folder.add(sample("plain"))
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(**change)
    imap_mailbox.refresh_from_db()
    assert transports.mailbox_poll(mailbox=imap_mailbox) == 0
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error.startswith(error)
    assert not Ticket.objects.exists()


@pytest.fixture
def maildir(tmp_path, queue):
    for sub in ("new", "cur", "tmp"):
        (tmp_path / "Maildir" / sub).mkdir(parents=True)
    return Mailbox.objects.create(
        address="support@example.net",
        queue=queue,
        transport=Mailbox.Transport.MAILDIR,
        maildir_path=str(tmp_path / "Maildir"),
        allowed_domains="example.com",
    )


def test_maildir_new_mail_is_received_and_moved_to_cur(maildir, tmp_path, monkeypatch):
    (tmp_path / "Maildir" / "new" / "1733590000.M1P1.host").write_bytes(sample("plain"))
    queued = []
    monkeypatch.setattr(mailbox_poll_task, "delay", queued.append)
    # when: beat's tick queues a poll per mailbox, and a worker runs it
    assert mailboxes_poll_task.apply().get() == 1
    assert mailbox_poll_task.apply(args=queued).get() == 1
    # then
    assert Ticket.objects.get().title == "VPN drops every ten minutes"
    assert os.listdir(tmp_path / "Maildir" / "new") == []
    assert os.listdir(tmp_path / "Maildir" / "cur") == ["1733590000.M1P1.host:2,S"]
    assert InboundEmail.objects.get().delivery_id == f"maildir:{maildir.pk}:1733590000.M1P1.host"


def test_a_maildir_reply_threads_onto_its_ticket(maildir, tmp_path):
    transports.mailbox_poll(mailbox=maildir)  # nothing yet
    (tmp_path / "Maildir" / "new" / "a").write_bytes(sample("plain"))
    transports.mailbox_poll(mailbox=maildir)
    ticket = Ticket.objects.get()
    (tmp_path / "Maildir" / "new" / "b").write_bytes(sample("gmail_reply", ticket=ticket.pk, notice=1))
    transports.mailbox_poll(mailbox=maildir)
    assert Comment.objects.get(ticket=ticket).body == "It happened again at 08:05 — same symptoms."


def test_a_missing_maildir_is_recorded(maildir, tmp_path):
    Mailbox.objects.filter(pk=maildir.pk).update(maildir_path=str(tmp_path / "nowhere"))
    maildir.refresh_from_db()
    transports.mailbox_poll(mailbox=maildir)
    maildir.refresh_from_db()
    assert (
        maildir.last_error
        == f"MailboxUnreadable: {tmp_path / 'nowhere'} is not a Maildir folder (it needs new/ and cur/)."
    )
