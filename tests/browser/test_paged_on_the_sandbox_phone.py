"""The whole path of a page, as `make run` shows it: a SEV1 is filed, the rule starts the on-call policy, its step
pages the primary on-call by SMS through AWS End User Messaging (the local sandbox), the text arrives on the
sandbox's phone page, the engineer taps its one-tap link on a 390 px phone, confirms, and the ticket shows it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from escalation.models import TicketEscalation
from escalation.services import escalation_step
from notifications.models import Notification
from notifications.services import notification_deliver
from paging.models import Page
from rules.models import Rule
from tickets import services as ticket_services
from tickets.models import Ticket

from ..escalation.conftest import escalation_policy
from ..factories import QueueFactory, UserFactory, severity
from ..integrations.cases_fakes import live_sandbox
from ..oncall.helpers import oncall_layer
from ..paging.conftest import rules, verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PHONE = {"width": 390, "height": 844}
NUMBER = "+12025550177"


def test_a_sev1_pages_the_on_call_who_acknowledges_from_the_sandbox_phone(
    browser, live_server, sign_in, settings, monkeypatch
):
    settings.SITE_URL = live_server.url
    jo = UserFactory(role=Role.AGENT, first_name="Jo", last_name="Lind")
    verified(jo, "sms", NUMBER)
    rules({"user": jo}, "urgent", (0, "sms"), (5, "voice"))
    queue = QueueFactory(name="Payments", members=[jo])
    oncall_layer(queue, "Primary", jo, shift="daily", start=timezone.localdate() - timedelta(days=1))
    policy = escalation_policy(("notify_oncall", timedelta(0)), name="Page the on-call now")
    Rule.objects.create(name="SEV1 pages the on-call", min_severity=severity("SEV1"), start_escalation=policy)

    with live_sandbox(settings, monkeypatch) as sandbox:
        # given: a SEV1 filed; what the worker does next, in order: the policy's first step, then the outbox
        ticket = ticket_services.ticket_create(
            requester=UserFactory(role=Role.REQUESTER),
            title="Checkout returns 502",
            kind=Ticket.Kind.INCIDENT,
            severity=severity("SEV1"),
            queue=queue,
        )
        run = TicketEscalation.objects.get(ticket=ticket)
        assert escalation_step(ticket_escalation_id=run.pk, token=run.token) == "ran"
        sms = Notification.objects.get(ticket=ticket, sms_to=NUMBER)
        assert notification_deliver(notification_id=sms.pk) == "sent"

        # when: the text is on the phone, and Jo taps its link and confirms
        phone = browser.new_context(viewport=PHONE).new_page()
        phone.goto(f"{sandbox.url}/phone/?to=%2B12025550177")
        message = phone.locator(".message").first
        expect(message).to_contain_text(ticket.reference)
        message.get_by_role("link").first.click()
        expect(phone.locator("h1")).to_contain_text(ticket.reference)
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        phone.get_by_role("button", name="Acknowledge as Jo Lind").click()
        expect(phone.get_by_role("status")).to_contain_text("Acknowledged")

    # then: the ticket is Jo's and acknowledged, from SMS, and the page stopped before its call
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.acknowledged_at is not None) == ("acknowledged", jo, True)
    assert Page.objects.get(ticket=ticket).stopped_at is not None
    desk = browser.new_context().new_page()
    sign_in(desk, jo.email)
    desk.goto(f"{live_server.url}{ticket.get_absolute_url()}")
    expect(desk.locator(".timeline")).to_contain_text("from SMS")
