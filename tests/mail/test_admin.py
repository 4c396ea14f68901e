"""The admin's view of mail: mailboxes, and every message received with what became of it, in a constant number of
queries; a refused message received again once its sender's domain is allowed."""

import pytest
from django.urls import reverse

from mail import services
from mail.models import InboundEmail

from .conftest import sample

pytestmark = pytest.mark.django_db


def _receive_many(mailbox, rows: int) -> None:
    for n in range(rows):
        raw = sample("plain").replace(b"CAJ3vTx0", b"many%d" % n).replace(b"Jo.Bloggs@", b"p%d@" % n)
        services.email_receive(mailbox=mailbox, raw=raw, delivery_id=f"t:{n}")


@pytest.mark.parametrize("rows", [3, 30])
def test_the_inbound_log_reads_in_constant_queries(client, admin_user, mailbox, rows, django_assert_max_num_queries):
    _receive_many(mailbox, rows)
    client.force_login(admin_user)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:mail_inboundemail_changelist"))
    assert page.status_code == 200
    assert page.content.decode().count("email opened SD-") == rows


def test_an_admin_reads_a_message_as_received_and_the_mailbox_list(client, admin_user, mailbox):
    _receive_many(mailbox, 1)
    client.force_login(admin_user)
    row = InboundEmail.objects.get()
    detail = client.get(reverse("admin:mail_inboundemail_change", args=[row.pk]))
    assert detail.status_code == 200
    assert "Since this morning the VPN drops every ten minutes" in detail.content.decode()
    assert client.get(reverse("admin:mail_mailbox_changelist")).status_code == 200
    assert client.get(reverse("admin:mail_mailbox_change", args=[mailbox.pk])).status_code == 200


def test_a_refused_message_is_received_again_once_its_domain_is_allowed(client, admin_user, mailbox):
    raw = sample("plain").replace(b"Jo.Bloggs@example.com", b"kim@partner.example")
    refused = services.email_receive(mailbox=mailbox, raw=raw, delivery_id="t:kim")
    other = sample("plain").replace(b"CAJ3vTx0", b"other")
    opened = services.email_receive(mailbox=mailbox, raw=other, delivery_id="t:jo")
    assert refused.status == InboundEmail.Status.REFUSED
    mailbox.allowed_domains = "example.com\npartner.example"
    mailbox.save()
    client.force_login(admin_user)
    # when
    response = client.post(
        reverse("admin:mail_inboundemail_changelist"),
        {"action": "retry", "_selected_action": [refused.pk, opened.pk]},
        follow=True,
    )
    # then: the refused one opened a ticket; the other was left alone
    refused.refresh_from_db()
    assert refused.status == InboundEmail.Status.OPENED
    assert f"1 received again: email opened {refused.ticket.reference}" in response.content.decode()
