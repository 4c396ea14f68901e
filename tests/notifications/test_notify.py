"""notify(): the outbox rows written with the caller's change, one per target and cause."""

import pytest
from django.db import transaction

from notifications import services
from notifications.models import Channel, Notification

from ..factories import QueueFactory, TicketFactory, UserFactory, severity
from .conftest import hears

pytestmark = pytest.mark.django_db


def email_channel(name: str = "Ops mail", **kwargs) -> Channel:
    return Channel.objects.create(name=name, kind=Channel.Kind.EMAIL, email_addresses="ops@example.com", **kwargs)


def test_notify_writes_one_row_per_queue_channel_and_person(ticket, queue, django_capture_on_commit_callbacks, broker):
    # given: two channels hearing the queue, one elsewhere, one disabled
    ops, mail = hears(email_channel("Ops"), queue), hears(email_channel("Mail"), queue)
    hears(email_channel("Elsewhere"), QueueFactory())
    hears(email_channel("Off", enabled=False), queue)
    on_call = UserFactory()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        count = services.notify(ticket=ticket, reason="Rule “prod down” matched", key="rule:1", users=[on_call])
    # then
    rows = Notification.objects.filter(key__startswith="rule:1:")
    assert count == 3
    assert {(r.channel_id, r.email) for r in rows} == {(ops.pk, ""), (mail.pk, ""), (None, on_call.email)}
    assert sorted(broker.queued) == sorted(r.pk for r in rows)  # queued after commit


def test_the_same_key_never_enqueues_twice(ticket, queue):
    hears(email_channel(), queue)
    first = services.notify(ticket=ticket, reason="r", key="rule:1:ticket:1")
    again = services.notify(ticket=ticket, reason="r, again", key="rule:1:ticket:1")
    assert (first, again) == (1, 0)
    assert Notification.objects.filter(key__startswith="rule:1:ticket:1:").count() == 1


def test_a_duplicate_in_the_same_transaction_does_not_break_it(ticket, queue):
    hears(email_channel(), queue)
    with transaction.atomic():
        services.notify(ticket=ticket, reason="r", key="k")
        services.notify(ticket=ticket, reason="r", key="k")  # no IntegrityError to abort the caller's change
        ticket.refresh_from_db()  # the transaction is still usable


def test_channels_given_replace_the_queue_channels(ticket, queue):
    hears(email_channel("Queue's"), queue)
    rules = email_channel("Rule's")
    assert services.notify(ticket=ticket, reason="r", key="k", channels=[rules, rules]) == 1
    assert Notification.objects.get(key__startswith="k:").channel == rules


def test_a_severity_threshold_keeps_minor_tickets_quiet(queue, requester):
    hears(email_channel("Only SEV2 and worse"), queue, min_severity=severity("SEV2"))
    minor = TicketFactory(queue=queue, requester=requester, severity=severity("SEV3"))
    major = TicketFactory(queue=queue, requester=requester, severity=severity("SEV1"))
    assert services.notify(ticket=minor, reason="r", key="minor") == 0
    assert services.notify(ticket=major, reason="r", key="major") == 1


def test_people_without_an_active_account_are_skipped(ticket):
    gone = UserFactory(is_active=False)
    assert services.notify(ticket=ticket, reason="r", key="k", channels=[], users=[gone]) == 0


def test_the_message_carries_subject_body_link_and_the_ticket_as_it_was(ticket, settings):
    settings.SITE_URL = "https://support.example.com"
    services.notify(
        ticket=ticket,
        reason="Escalation step 2: on-call",
        key="k",
        channels=[email_channel()],
        link_path="/tickets/x/#sla",
    )
    row = Notification.objects.get(key__startswith="k:")
    assert row.subject == f"[{ticket.reference} SEV3] Escalation step 2: on-call: Checkout is down"
    assert row.link == "https://support.example.com/tickets/x/#sla"
    assert row.body.splitlines()[:4] == [
        "Escalation step 2: on-call",
        "",
        f"{ticket.reference} · Checkout is down",
        row.link,
    ]
    assert "Environment: Production · AWS account: 123456789012" in row.body
    assert row.attributes == {
        "event": "notice",
        "reference": ticket.reference,
        "title": "Checkout is down",
        "status": "new",
        "severity": "SEV3",
        "queue": ticket.queue.name,
        "environment": "production",
        "account": "123456789012",
        "kind": "incident",
    }
    assert (row.status, row.attempts, row.event) == ("pending", 0, "notice")


def test_a_broker_outage_does_not_undo_the_change(ticket, queue, broker, django_capture_on_commit_callbacks):
    hears(email_channel(), queue)
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.notify(ticket=ticket, reason="r", key="k")
    # the failed publish was logged, not raised; the row waits for the sweep
    assert Notification.objects.get(key__startswith="k:").status == "pending"


def test_notify_people_mails_without_a_ticket(django_capture_on_commit_callbacks, broker):
    manager = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        count = services.notify_people(users=[manager], subject="KPI missed:\nfirst response", body="b", key="kpi:1")
    row = Notification.objects.get()
    assert count == 1 and broker.queued == [row.pk]
    assert (row.ticket, row.email, row.subject, row.attributes) == (
        None,
        manager.email,
        "KPI missed: first response",
        {"event": "notice"},
    )


def test_an_overlong_key_is_refused_before_writing():
    with pytest.raises(ValueError, match="at most"):
        services.notify_people(users=[UserFactory()], subject="s", body="b", key="k" * 300)
