"""What a message becomes: a ticket, a comment, or a recorded refusal, once, whatever arrives (real-world samples)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, user_role
from mail import parsing, services
from mail.models import InboundEmail
from notifications.models import Notification
from tests.factories import TicketFactory, UserFactory
from tickets.models import Attachment, Comment, Ticket, TicketEvent

from .conftest import sample

pytestmark = pytest.mark.django_db
S = InboundEmail.Status


def receive(mailbox, raw: bytes, delivery_id: str = "", **kwargs) -> InboundEmail:
    receive.count = getattr(receive, "count", 0) + 1
    return services.email_receive(mailbox=mailbox, raw=raw, delivery_id=delivery_id or f"t:{receive.count}", **kwargs)


def refusals_to(address: str) -> list[Notification]:
    return list(Notification.objects.filter(email=address, key__startswith="mail:refused:"))


def test_mail_from_a_new_person_of_an_allowed_domain_opens_a_ticket_in_the_mailbox_queue(mailbox):
    # when
    row = receive(mailbox, sample("plain"))
    # then: Jo is a requester now (signing in through "forgot password"), and filed it "from email"
    ticket = Ticket.objects.get()
    jo = User.objects.get(email="jo.bloggs@example.com")
    assert (row.status, row.ticket, row.sender) == (S.OPENED, ticket, "jo.bloggs@example.com")
    assert (ticket.title, ticket.queue, ticket.requester, ticket.kind) == (
        "VPN drops every ten minutes",
        mailbox.queue,
        jo,
        Ticket.Kind.SERVICE_REQUEST,
    )
    assert "drops every ten minutes, on both my laptop" in ticket.description
    assert (jo.get_full_name(), jo.has_usable_password(), user_role(jo)) == ("Jo Bloggs", False, Role.REQUESTER)
    assert TicketEvent.objects.get(ticket=ticket, kind="created").data["via"] == "email"


def test_a_redelivery_or_a_second_copy_changes_nothing(mailbox):
    raw = sample("plain")
    first = receive(mailbox, raw, "ses:abc")
    # when: the transport delivers it again, and the same message comes in by another way (a Cc, a forward rule)
    again = receive(mailbox, raw, "ses:abc")
    copy = receive(mailbox, raw, "imap:1:1:7")
    # then
    assert again.pk == first.pk
    assert (copy.status, copy.detail) == (S.IGNORED, f"Ignored: a copy of message #{first.pk}, received already.")
    assert Ticket.objects.count() == 1


@pytest.fixture
def jos_ticket(mailbox):
    jo = UserFactory(email="jo.bloggs@example.com", first_name="Jo", last_name="Bloggs", role=Role.REQUESTER)
    return TicketFactory(requester=jo, queue=mailbox.queue, title="VPN drops every ten minutes")


def test_a_gmail_reply_to_a_notice_becomes_the_requesters_comment_without_the_quoted_history(mailbox, jos_ticket):
    # when: Jo answers a notice, which Gmail threads by its Message-ID
    row = receive(mailbox, sample("gmail_reply", ticket=jos_ticket.pk, notice=41))
    # then
    comment = Comment.objects.get(ticket=jos_ticket)
    assert (row.status, row.ticket) == (S.COMMENTED, jos_ticket)
    assert (comment.author, comment.body, comment.is_internal) == (
        jos_ticket.requester,
        "It happened again at 08:05 — same symptoms.",
        False,
    )
    assert TicketEvent.objects.get(ticket=jos_ticket, kind="commented").data["via"] == "email"
    assert Ticket.objects.count() == 1


def test_an_outlook_reply_found_by_the_subject_alone_is_the_agents_comment(mailbox, jos_ticket, agent):
    agent.email = "sam.agent@example.com"
    agent.save()
    # when: Outlook keeps no References, but the subject carries [SD-n]
    row = receive(mailbox, sample("outlook_reply", ticket=jos_ticket.pk))
    # then: the quoted notice under Outlook's line is cut
    comment = Comment.objects.get(ticket=jos_ticket)
    assert (row.status, comment.author) == (S.COMMENTED, agent)
    assert comment.body == "I have restarted the VPN concentrator; please try again.\n\nKind regards\nSam"


def test_a_reply_about_a_ticket_the_sender_may_not_see_opens_their_own(mailbox, jos_ticket):
    stranger = UserFactory(email="nosy@example.com", role=Role.REQUESTER)
    raw = sample("gmail_reply", ticket=jos_ticket.pk, notice=41).replace(b"jo.bloggs@", b"nosy@")
    # when
    row = receive(mailbox, raw)
    # then: the ticket does not exist for them
    assert row.status == S.OPENED
    assert row.ticket != jos_ticket and row.ticket.requester == stranger
    assert not Comment.objects.filter(ticket=jos_ticket).exists()


def test_html_only_mail_is_read_as_text_never_as_markup(mailbox):
    receive(mailbox, sample("html_only"))
    ticket = Ticket.objects.get()
    assert (
        ticket.description == "The printer on floor 3 says offline & will not wake.\n\nTried:\npower cycle\nnew cable"
    )
    assert "alert" not in ticket.description and "<" not in ticket.description


@pytest.mark.parametrize(
    ("name", "title", "text"),
    [
        ("latin1", "Accès refusé à l'imprimante", "Bonjour, l'accès à l'imprimante est refusé depuis lundi."),
        ("windows1252", "“Quoted” subject \u2013 billing", "the portal says “due” \u2013 which"),
    ],
)
def test_mail_in_other_charsets_reads_as_written(mailbox, name, title, text):
    receive(mailbox, sample(name))
    ticket = Ticket.objects.get()
    assert ticket.title == title
    assert text in ticket.description


def test_attachments_are_kept_within_the_limits_and_a_signature_logo_is_dropped(mailbox):
    # when
    receive(mailbox, sample("attachments"))
    # then: the PDF and the log are on the ticket; the .exe is named as left out; the inline logo is gone
    ticket = Ticket.objects.get()
    files = {a.filename: a.file.read() for a in Attachment.objects.filter(ticket=ticket)}
    assert sorted(files) == ["tunnel.log", "vpn-config.pdf"]
    assert files["vpn-config.pdf"].startswith(b"%PDF-1.4")
    assert "Not attached: fix.exe: files of type .exe are not accepted" in ticket.description
    assert ticket.description.startswith("Logs and the config are attached.\n\nNot attached")  # signature cut


def test_a_reply_loses_its_signature(mailbox, jos_ticket):
    raw = sample("attachments").replace(b"Subject: VPN logs attached", b"Subject: [SD-%d] logs" % jos_ticket.pk)
    receive(mailbox, raw)
    comment = Comment.objects.get(ticket=jos_ticket)
    assert comment.body.startswith("Logs and the config are attached.\n\nNot attached: fix.exe")
    assert "Network team" not in comment.body
    assert Attachment.objects.filter(comment=comment).count() == 2


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("out_of_office", "Ignored: an automatic reply (Auto-Submitted: auto-replied)."),
        ("bounce", "Ignored: a bounce (a delivery status notification)."),
    ],
)
def test_auto_replies_and_bounces_are_noted_and_never_answered(mailbox, jos_ticket, name, why):
    # when
    row = receive(mailbox, sample(name, ticket=jos_ticket.pk, notice=41))
    # then
    assert (row.status, row.detail) == (S.IGNORED, why)
    assert not Comment.objects.exists()
    assert not Notification.objects.filter(key__startswith="mail:").exists()


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (b"Precedence: bulk", "Ignored: bulk mail (Precedence: bulk)."),
        (b"List-Id: <announce.lists.example.com>", "Ignored: mailing-list mail (List-Id)."),
        (b"X-Auto-Response-Suppress: OOF", "Ignored: an automatic reply (its headers say so)."),
        (b"Auto-Submitted: auto-generated", "Ignored: an automatic reply (Auto-Submitted: auto-generated)."),
    ],
)
def test_machines_mail_by_its_headers_is_ignored(mailbox, header, why):
    row = receive(mailbox, header + b"\r\n" + sample("plain"))
    assert (row.status, row.detail) == (S.IGNORED, why)
    assert not Ticket.objects.exists()


def test_auto_replies_that_do_not_say_so_stop_at_the_per_sender_limit(mailbox, settings):
    """Two auto-responders answering each other: neither marks its mail, so only the count stops it."""
    settings.MAIL_SENDER_MAX_PER_HOUR = 3
    stranger = b"From: bot@elsewhere.example.org\r\n"
    rows = [receive(mailbox, stranger + sample("plain").replace(b"CAJ3vTx0", b"loop%d" % n)) for n in range(6)]
    # then: refused (unknown domain) with one reply, then ignored once over the limit
    assert [r.status for r in rows] == [S.REFUSED] * 4 + [S.IGNORED] * 2
    assert rows[-1].detail == "Ignored: more than 3 messages from bot@elsewhere.example.org within an hour (a loop?)."
    assert len(refusals_to("bot@elsewhere.example.org")) == 1


def test_our_own_mail_coming_back_is_ignored(mailbox, settings):
    raw = sample("plain").replace(b"Jo Bloggs <Jo.Bloggs@example.com>", b"Support <support@example.net>")
    row = receive(mailbox, raw)
    assert (row.status, row.detail) == (S.IGNORED, "Ignored: sent from Supportdesk's own address (a loop).")


def test_an_unknown_sender_elsewhere_is_refused_politely_once_an_hour(mailbox):
    raw = sample("plain").replace(b"Jo.Bloggs@example.com", b"someone@gmail.example")
    # when
    first = receive(mailbox, raw)
    second = receive(mailbox, raw.replace(b"CAJ3vTx0", b"second"))
    # then: nothing filed, nobody created, one reply saying why
    assert first.status == second.status == S.REFUSED
    assert "only from people with a Supportdesk account, or from example.com" in first.detail
    assert (first.replied_at is not None, second.replied_at) == (True, None)
    [reply] = refusals_to("someone@gmail.example")
    assert reply.subject == "Re: VPN drops every ten minutes"
    assert first.detail in reply.body
    assert not Ticket.objects.exists() and not User.objects.filter(email="someone@gmail.example").exists()


def test_a_disabled_account_is_refused(mailbox):
    UserFactory(email="jo.bloggs@example.com", is_active=False)
    row = receive(mailbox, sample("plain"))
    assert (row.status, row.detail) == (
        S.REFUSED,
        "Your Supportdesk account is disabled, so we cannot take requests from it.",
    )


def test_malformed_mail_gets_a_clear_outcome_and_is_kept(mailbox):
    raw = sample("malformed")
    # when
    row = receive(mailbox, raw)
    # then: nothing readable to file; kept as received; nothing half made
    assert (row.status, row.sender) == (S.REFUSED, "broken@example.com")
    assert row.detail.startswith("We could read no text in your message")
    assert bytes(row.raw) == raw
    assert not Ticket.objects.exists() and not User.objects.filter(email="broken@example.com").exists()


def test_a_message_the_parser_cannot_read_is_kept_and_can_be_received_again(mailbox, monkeypatch):
    def broken(raw, **kwargs):
        raise ValueError("bad header")

    monkeypatch.setattr(services, "email_parse", broken)
    row = receive(mailbox, sample("plain"))
    assert (row.status, row.detail) == (S.FAILED, "The message could not be read (ValueError: bad header).")
    # when: the admin receives it again once the fault is gone
    monkeypatch.setattr(services, "email_parse", parsing.email_parse)
    again = services.inbound_email_retry(email=row)
    # then
    assert (again.pk, again.status) == (row.pk, S.OPENED)
    assert Ticket.objects.count() == 1


def test_a_50_mb_message_is_refused_clearly_and_nothing_is_half_saved(mailbox, settings):
    big = sample("plain") + b"A" * (50 * 1024 * 1024)
    # when
    row = receive(mailbox, big)
    # then: only its headers are kept; the sender hears why
    assert row.status == S.REFUSED
    assert row.detail == "Your message (50 MB) is larger than the 40 MB we accept by email."
    assert row.size == len(big) and len(bytes(row.raw)) == services.HEADERS_KEPT
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert len(refusals_to("jo.bloggs@example.com")) == 1


def test_the_sender_limit_counts_only_the_last_hour(mailbox, settings):
    settings.MAIL_SENDER_MAX_PER_HOUR = 1
    now = timezone.now()
    receive(mailbox, sample("plain"), now=now - timedelta(hours=2))
    receive(mailbox, sample("plain").replace(b"CAJ3vTx0", b"two"), now=now - timedelta(hours=2))
    row = receive(mailbox, sample("plain").replace(b"CAJ3vTx0", b"three"), now=now)
    assert row.status == S.OPENED
