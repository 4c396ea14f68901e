"""The page engine on a frozen clock: rules fire in order, stop on acknowledge, run once however often they are
queued, and a failed SMS or call moves the page to the next rule at once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from awsgateway.sms_voice import AwsOptedOut
from notifications.models import Notification
from notifications.services import notification_deliver
from paging.models import ContactMethod, Page
from paging.services import page_acknowledge, page_start, page_step, pages_sweep
from tickets import services as ticket_services
from tickets.models import TicketEvent
from tickets.workflow import Action

from ..factories import QueueFactory, TicketFactory, UserFactory, severity
from .conftest import queued_steps, rules, verified

pytestmark = pytest.mark.django_db


def paged(ticket) -> list[tuple[str, str]]:
    """What the outbox holds for the ticket's pages: (medium, number or address), in order."""
    rows = Notification.objects.filter(ticket=ticket, key__startswith="page:").order_by("pk")
    return [("sms", n.sms_to) if n.sms_to else ("voice", n.call_to) if n.call_to else ("email", n.email) for n in rows]


def timeline(ticket) -> list[str]:
    events = TicketEvent.objects.filter(ticket=ticket, kind="notified").order_by("pk")
    return [f"{e.data['channel']}: {e.data['outcome']}" for e in events]


def step_when_due(clock) -> str:
    pk, token, countdown = queued_steps()[-1]
    clock.shift(timedelta(seconds=countdown))
    return page_step(page_id=pk, token=token)


def test_rules_fire_in_order_each_on_its_delay(clock, jo, sev1):
    page = page_start(ticket=sev1, user=jo, reason="Escalated: please acknowledge", key="test:1")

    assert paged(sev1) == [("sms", "+447700900123")]  # the first rule at once, in the same transaction
    assert [countdown for *_, countdown in queued_steps()] == [300]
    assert step_when_due(clock) == "ran"
    assert paged(sev1) == [("sms", "+447700900123"), ("voice", "+447700900124")]
    page.refresh_from_db()
    assert (page.stopped_at is not None, page.stop_reason) == (True, "Every rule ran.")
    assert timeline(sev1) == [
        "Jo Lind: paging",
        "Jo Lind by SMS: paged",
        "Jo Lind by Phone call: paged",
    ]


def test_acknowledging_in_the_portal_stops_the_page_at_once(clock, jo, sev1):
    page_start(ticket=sev1, user=jo, reason="r", key="test:1")
    ticket_services.ticket_transition(ticket=sev1, actor=jo, action=Action.ACKNOWLEDGE)

    page = Page.objects.get()
    assert (page.stopped_at is not None, page.stop_reason) == (True, "Acknowledged by Jo Lind.")
    assert step_when_due(clock) == "stale"  # the call queued for later finds its token spent
    assert paged(sev1) == [("sms", "+447700900123")]  # no call


def test_resolving_stops_the_page_too(clock, jo, sev1):
    page_start(ticket=sev1, user=jo, reason="r", key="test:1")
    ticket_services.ticket_transition(ticket=sev1, actor=jo, action=Action.RESOLVE, note="Fixed")

    assert Page.objects.get().stop_reason == "Resolved by Jo Lind."
    assert step_when_due(clock) == "stale"


def test_a_person_already_paged_about_the_ticket_is_not_paged_twice(clock, jo, sev1):
    first = page_start(ticket=sev1, user=jo, reason="Primary", key="escalation:1:a:user:1")
    # the next step names Jo again (Jo is the secondary too): Jo's running page goes on, nothing more is sent
    assert page_start(ticket=sev1, user=jo, reason="Secondary", key="escalation:1:b:user:1") == first
    assert paged(sev1) == [("sms", "+447700900123")]
    assert Page.objects.count() == 1


def test_a_step_queued_twice_runs_once(clock, jo, sev1):
    page_start(ticket=sev1, user=jo, reason="r", key="test:1")
    pk, token, countdown = queued_steps()[-1]
    clock.shift(timedelta(seconds=countdown))

    assert page_step(page_id=pk, token=token) == "ran"
    assert page_step(page_id=pk, token=token) == "stale"  # the broker redelivered it
    assert pages_sweep() == 0
    assert len(paged(sev1)) == 2


def test_the_same_cause_starts_one_page(clock, jo, sev1):
    first = page_start(ticket=sev1, user=jo, reason="r", key="test:1")
    again = page_start(ticket=sev1, user=jo, reason="r", key="test:1")

    assert first == again
    assert paged(sev1) == [("sms", "+447700900123")]


def test_the_sweep_runs_a_step_whose_timer_was_lost(clock, jo, sev1):
    page_start(ticket=sev1, user=jo, reason="r", key="test:1")
    clock.shift(timedelta(minutes=5, seconds=30))
    assert pages_sweep() == 0  # not late yet: its timer may still come
    clock.shift(timedelta(minutes=1))

    assert pages_sweep() == 1
    assert [m for m, _ in paged(sev1)] == ["sms", "voice"]


def test_nothing_starts_for_an_acknowledged_ticket(clock, jo, sev1):
    ticket_services.ticket_transition(ticket=sev1, actor=jo, action=Action.ACKNOWLEDGE)
    sev1.refresh_from_db()

    assert page_start(ticket=sev1, user=jo, reason="r", key="test:1") is None
    assert paged(sev1) == []


def test_a_failed_sms_moves_to_the_next_rule_at_once(clock, jo, sev1, fake_sms):
    page_start(ticket=sev1, user=jo, reason="r", key="test:1")
    fake_sms.fail_with["sms"] = AwsOptedOut("The number opted out (it replied STOP).")
    sms = Notification.objects.get(ticket=sev1, sms_to="+447700900123")

    assert notification_deliver(notification_id=sms.pk) == "failed"

    assert paged(sev1) == [("sms", "+447700900123"), ("voice", "+447700900124")]  # not five minutes later
    failed = TicketEvent.objects.filter(ticket=sev1, kind="notified", data__outcome="failed").get()
    assert failed.data["channel"] == "SMS to +447700900123"
    assert "SMS failed: The number opted out" in failed.data["detail"]
    assert "Jo Lind: next rule" in timeline(sev1)
    assert step_when_due(clock) == "stale"  # the call's own timer finds the page moved on


def test_a_throttled_sms_is_retried_not_skipped(clock, jo, sev1, fake_sms):
    from awsgateway.errors import AwsThrottled
    from notifications.senders import RetryableDeliveryError

    page_start(ticket=sev1, user=jo, reason="r", key="test:1")
    fake_sms.fail_with["sms"] = AwsThrottled("AWS is throttling requests; will retry.")
    sms = Notification.objects.get(ticket=sev1, sms_to="+447700900123")

    with pytest.raises(RetryableDeliveryError):
        notification_deliver(notification_id=sms.pk)
    assert [m for m, _ in paged(sev1)] == ["sms"]


def test_a_page_is_sent_once_however_often_delivery_runs(clock, jo, sev1, fake_sms):
    page_start(ticket=sev1, user=jo, reason="r", key="test:1")
    sms = Notification.objects.get(ticket=sev1, sms_to="+447700900123")

    assert notification_deliver(notification_id=sms.pk) == "sent"
    assert notification_deliver(notification_id=sms.pk) == "skipped"
    [(kind, number, body)] = fake_sms.sent
    assert (kind, number) == ("sms", "+447700900123")
    assert body.startswith(f"{sev1.reference} SEV1: {sev1.title}\nAck: http")
    assert len(body) <= 160  # one SMS segment


def test_a_step_without_a_verified_number_goes_by_email_instead(clock, sev1):
    person = UserFactory(first_name="Sam", last_name="Ok")
    ContactMethod.objects.create(user=person, medium="voice", phone="+447700900999")  # typed, never verified
    rules({"user": person}, "urgent", (0, "voice"))

    page_start(ticket=sev1, user=person, reason="r", key="test:2")

    assert paged(sev1) == [("email", person.email)]
    event = TicketEvent.objects.filter(ticket=sev1, kind="notified", data__outcome="paged").get()
    assert event.data["detail"].startswith("Step 1 of 1 (no verified number for Phone call: by email instead)")


def test_without_rules_the_team_default_applies_then_email(clock, sev1):
    person, other = UserFactory(first_name="Al", last_name="B"), UserFactory()
    verified(person, "sms", "+14155550100")
    rules({"queue": sev1.queue}, "urgent", (0, "sms"))

    page_start(ticket=sev1, user=person, reason="r", key="a")
    page_start(ticket=sev1, user=other, reason="r", key="b")

    assert paged(sev1) == [("sms", "+14155550100"), ("email", other.email)]  # other has no number: by email
    assert Page.objects.get(key="a").rules_from == "the Payments default for SEV1 and SEV2"


def test_page_acknowledge_acknowledges_as_the_person_and_stops_every_page(clock, jo, sev1):
    page_start(ticket=sev1, user=jo, reason="r", key="test:1")

    assert page_acknowledge(ticket=sev1, user=jo, via="slack") == "acknowledged"

    sev1.refresh_from_db()
    assert (sev1.status, sev1.assignee) == ("acknowledged", jo)
    note = TicketEvent.objects.filter(ticket=sev1, kind="status_changed").latest("pk").data["note"]
    assert note == "Acknowledged from Slack."
    assert Page.objects.get().stop_reason == "Acknowledged by Jo Lind from Slack."
    assert page_acknowledge(ticket=sev1, user=jo, via="sms") == "already"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded severities and roles
def test_two_workers_running_one_step_at_once_send_it_once(jo):
    ticket = TicketFactory(queue=QueueFactory(members=[jo]), severity=severity("SEV2"))
    page = page_start(ticket=ticket, user=jo, reason="r", key="test:race")
    assert page is not None
    Page.objects.filter(pk=page.pk).update(started_at=page.started_at - timedelta(minutes=10))
    token, outcomes, start = str(Page.objects.get().token), [], threading.Barrier(2)

    def worker():
        try:
            start.wait(10)
            outcomes.append(page_step(page_id=page.pk, token=token))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)

    assert sorted(outcomes) == ["ran", "stale"]
    assert [m for m, _ in paged(ticket)] == ["sms", "voice"]
