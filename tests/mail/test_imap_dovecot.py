"""The IMAP poll against a real server, Dovecot: mail delivered to the folder becomes tickets, is flagged seen only
once filed, and what a person already read in their client is left alone. (tests/mail/test_transports.py covers
the failures, against a small in-test server that can hang up on cue.)"""

import imaplib

import pytest

from mail import transports
from mail.models import InboundEmail, Mailbox
from tickets.models import Ticket

from .conftest import sample
from .dovecot import dovecot_installed, dovecot_running

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not dovecot_installed(), reason="Dovecot is not installed (apt-get install dovecot-imapd)"),
]
PASSWORD_ENV = "SD_TEST_DOVECOT_PASSWORD"


@pytest.fixture
def dovecot(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "s3cret-dovecot")
    with dovecot_running("s3cret-dovecot") as server:
        yield server


@pytest.fixture
def imap_mailbox(dovecot, queue) -> Mailbox:
    return Mailbox.objects.create(
        address="support@example.net",
        queue=queue,
        transport=Mailbox.Transport.IMAP,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_ssl=False,
        imap_username="support",
        imap_password_env=PASSWORD_ENV,
        allowed_domains="example.com",
    )


def deliver(dovecot, raw: bytes, flags: str = "") -> None:
    """As the mail server delivers: appended to INBOX."""
    client = imaplib.IMAP4("127.0.0.1", dovecot.port)
    client.login("support", dovecot.password)
    client.append("INBOX", flags or None, None, raw)
    client.logout()


def unseen(dovecot) -> list[bytes]:
    client = imaplib.IMAP4("127.0.0.1", dovecot.port)
    client.login("support", dovecot.password)
    client.select("INBOX", readonly=True)
    _, data = client.uid("SEARCH", "UNSEEN")
    client.logout()
    return data[0].split()


def test_dovecot_mail_becomes_tickets_and_is_flagged_seen_once_filed(dovecot, imap_mailbox):
    deliver(dovecot, sample("plain"))
    deliver(dovecot, sample("latin1"))
    deliver(dovecot, sample("html_only"), flags="(\\Seen)")  # read in a mail client already: not ours to take
    # when
    assert transports.mailbox_poll(mailbox=imap_mailbox) == 2
    # then
    assert sorted(Ticket.objects.values_list("title", flat=True)) == [
        "Accès refusé à l'imprimante",
        "VPN drops every ten minutes",
    ]
    assert unseen(dovecot) == []
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error == ""
    assert all(
        i.startswith(f"imap:{imap_mailbox.pk}:") for i in InboundEmail.objects.values_list("delivery_id", flat=True)
    )
    assert transports.mailbox_poll(mailbox=imap_mailbox) == 0


def test_a_message_over_the_limit_is_fetched_for_its_headers_and_refused(dovecot, imap_mailbox, settings):
    settings.MAIL_MAX_BYTES = 1024 * 1024  # a 50 MB append would only slow the test: the limit is a setting
    big = sample("plain") + b"A" * (2 * 1024 * 1024)
    deliver(dovecot, big)
    transports.mailbox_poll(mailbox=imap_mailbox)
    row = InboundEmail.objects.get()
    assert (row.status, row.sender, row.size) == (InboundEmail.Status.REFUSED, "jo.bloggs@example.com", len(big))
    assert len(bytes(row.raw)) < 4096  # its headers only
    assert row.detail == "Your message (2 MB) is larger than the 1 MB we accept by email."
    assert unseen(dovecot) == []


def test_a_wrong_password_is_recorded_on_the_mailbox(dovecot, imap_mailbox, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    deliver(dovecot, sample("plain"))
    assert transports.mailbox_poll(mailbox=imap_mailbox) == 0
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error.startswith("LoginError")
    assert len(unseen(dovecot)) == 1
