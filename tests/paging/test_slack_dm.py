"""Paging by Slack DM, against the sandbox's fake Slack: linking one's Slack account (found by email, or a member ID
verified by a code sent as a DM), the ticket card with its buttons and the one-tap link sent once however often
delivery runs, a refusal moving the page to its next rule at once, and throttling retried."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from notifications.models import Notification
from notifications.senders import RetryableDeliveryError
from notifications.services import notification_deliver
from paging.exceptions import CodeRefused, InvalidSlackAccount, RuleRefused
from paging.models import ContactMethod, Page
from paging.services import (
    contact_method_code_resend,
    contact_method_delete,
    contact_method_slack_set,
    contact_method_verify,
    page_start,
    rule_add,
)
from tickets.models import TicketEvent

from ..factories import QueueFactory, TicketFactory, UserFactory, severity
from .conftest import rules, verified

pytestmark = pytest.mark.django_db


def code_sent(member: str) -> str:
    body = Notification.objects.filter(slack_to=member).latest("pk").body
    return re.search(r"code is (\d{6})", body).group(1)


@pytest.fixture
def person(db):
    return UserFactory(role=Role.AGENT, first_name="Ana", last_name="Ruiz", email="ana@example.com")


@pytest.fixture
def dm_jo(fake_slack):
    """An engineer paged for SEV1-2 by Slack DM at once, an SMS after two minutes, a call after five."""
    person = UserFactory(role=Role.AGENT, first_name="Jo", last_name="Lind", email="jo@example.com")
    ContactMethod.objects.create(
        user=person, medium="slack", slack_user_id=fake_slack.user_id(person.email), verified_at=timezone.now()
    )
    verified(person, "sms", "+447700900123")
    verified(person, "voice", "+447700900124")
    rules({"user": person}, "urgent", (0, "slack"), (2, "sms"), (5, "voice"))
    return person


@pytest.fixture
def sev1(dm_jo):
    return TicketFactory(queue=QueueFactory(name="Payments", members=[dm_jo]), severity=severity("SEV1"))


def page_dm(ticket) -> Notification:
    return Notification.objects.get(ticket=ticket, key__startswith="page:", slack_to__gt="")


def outbox(ticket) -> list[str]:
    rows = Notification.objects.filter(ticket=ticket, key__startswith="page:").order_by("pk")
    return [n.target_label for n in rows]


# Linking one's Slack account -----------------------------------------------------------------------------------------


def test_found_by_their_email_the_slack_account_is_verified_at_once(clock, person, fake_slack):
    method = contact_method_slack_set(user=person)

    assert (method.slack_user_id, method.is_verified) == (fake_slack.user_id(person.email), True)
    assert ("users.lookupByEmail", {"email": "ana@example.com"}) in fake_slack.calls
    assert not Notification.objects.filter(slack_to__gt="").exists()  # no code needed


def test_a_member_id_with_their_address_in_slack_is_verified_at_once(clock, person, fake_slack):
    member = fake_slack.user_id(person.email)

    assert contact_method_slack_set(user=person, slack_user_id=member.lower()).is_verified


def test_someone_elses_member_id_must_type_back_the_code_sent_to_it_as_a_dm(clock, person, fake_slack):
    member = fake_slack.user_id("ana.personal@elsewhere.example")  # Slack has another address for them

    method = contact_method_slack_set(user=person, slack_user_id=member)
    assert (method.slack_user_id, method.is_verified) == (member, False)
    code = code_sent(member)
    with pytest.raises(CodeRefused, match="not right"):
        contact_method_verify(method=method, code="000000" if code != "000000" else "111111")

    assert contact_method_verify(method=method, code=code).is_verified
    notification_deliver(notification_id=Notification.objects.get(slack_to=member).pk)
    [dm] = fake_slack.messages
    assert dm.channel == member and "Your Supportdesk code is" in dm.text
    with pytest.raises(CodeRefused, match="Slack account is verified already"):
        contact_method_code_resend(method=method)


@pytest.mark.parametrize(
    ("typed", "says"),
    [("#ana", "Type your Slack member ID"), ("C0SANDBOX1", "Type your Slack member ID"), ("U0NOBODY99", "no member")],
)
def test_a_member_id_that_is_not_one_says_what_to_type(person, fake_slack, typed, says):
    with pytest.raises(InvalidSlackAccount, match=says):
        contact_method_slack_set(user=person, slack_user_id=typed)
    assert not ContactMethod.objects.exists()


def test_nobody_in_slack_with_their_address_asks_for_the_member_id(person, fake_slack):
    fake_slack.unknown_emails.add(person.email)

    with pytest.raises(InvalidSlackAccount, match=r"Slack has nobody with ana@example\.com: type your Slack member ID"):
        contact_method_slack_set(user=person)


def test_without_slack_configured_no_account_is_linked(person, settings):
    settings.SLACK_BOT_TOKEN = ""

    with pytest.raises(InvalidSlackAccount, match="Slack is not configured"):
        contact_method_slack_set(user=person)


def test_a_slack_step_needs_a_verified_slack_account_and_keeps_it(clock, person, fake_slack):
    with pytest.raises(RuleRefused, match="Link and verify your Slack account first"):
        rule_add(user=person, band="urgent", delay=timedelta(0), medium="slack")
    method = contact_method_slack_set(user=person)
    rule_add(user=person, band="urgent", delay=timedelta(0), medium="slack")

    with pytest.raises(RuleRefused, match="before removing the Slack account"):
        contact_method_delete(method=method)


# Paging by DM --------------------------------------------------------------------------------------------------------


def test_a_slack_step_sends_the_ticket_card_with_its_buttons_and_the_link_once(clock, dm_jo, sev1, fake_slack):
    page_start(ticket=sev1, user=dm_jo, reason="Escalated: please acknowledge", key="test:1")
    dm = page_dm(sev1)

    assert notification_deliver(notification_id=dm.pk) == "sent"
    assert notification_deliver(notification_id=dm.pk) == "skipped"  # a retry, a second worker: nothing twice

    [message] = fake_slack.direct_messages(dm_jo.email)
    assert message.text.startswith(f"[{sev1.reference} SEV1] Escalated: please acknowledge: {sev1.title}\n")
    assert re.search(rf"Acknowledge with one tap: http\S+/p/{sev1.reference}/\S+ \(the link works once", message.text)
    [actions] = [b for b in message.attachments[0]["blocks"] if b["type"] == "actions"]
    labels = [e["text"]["text"] for e in actions["elements"]]
    assert labels == ["Acknowledge", "Resolve", "Escalate", "Assign to me", "Open in Supportdesk"]
    assert "Jo Lind by Slack DM: paged" in [
        f"{e.data['channel']}: {e.data['outcome']}" for e in TicketEvent.objects.filter(ticket=sev1, kind="notified")
    ]


def test_a_slack_refusal_moves_the_page_to_its_next_rule_at_once(clock, dm_jo, sev1, fake_slack):
    page_start(ticket=sev1, user=dm_jo, reason="r", key="test:1")
    member = fake_slack.user_id(dm_jo.email)
    fake_slack.unknown_channels.add(member)  # gone from the workspace, say

    assert notification_deliver(notification_id=page_dm(sev1).pk) == "failed"

    assert outbox(sev1) == [f"Slack DM to {member}", "SMS to +447700900123"]  # not two minutes later
    failed = TicketEvent.objects.get(ticket=sev1, kind="notified", data__outcome="failed")
    assert failed.data["channel"] == f"Slack DM to {member}"
    assert TicketEvent.objects.filter(ticket=sev1, kind="notified", data__outcome="next rule").exists()


def test_a_throttled_slack_dm_is_retried_not_skipped(clock, dm_jo, sev1, fake_slack):
    page_start(ticket=sev1, user=dm_jo, reason="r", key="test:1")
    fake_slack.fail_next.append((429, "ratelimited"))
    dm = page_dm(sev1)

    with pytest.raises(RetryableDeliveryError):
        notification_deliver(notification_id=dm.pk)
    assert outbox(sev1) == [dm.target_label]  # the page waits for its SMS's time
    assert notification_deliver(notification_id=dm.pk) == "sent"
    assert len(fake_slack.direct_messages(dm_jo.email)) == 1


def test_with_slack_no_longer_configured_the_step_goes_by_email(clock, dm_jo, sev1, settings):
    settings.SLACK_BOT_TOKEN = ""

    page_start(ticket=sev1, user=dm_jo, reason="r", key="test:1")

    assert outbox(sev1) == [f"Email to {dm_jo.email}"]
    event = TicketEvent.objects.get(ticket=sev1, kind="notified", data__outcome="paged")
    assert event.data["detail"].startswith("Step 1 of 3 (Slack is not configured: by email instead)")
    assert Page.objects.get().next_step == 1
