"""The paging reaction: whoever acknowledges or closes a ticket, and however, its pages stop in that change."""

import pytest

from accounts.roles import Role
from paging.models import Page
from paging.services import page_start
from tickets import services as ticket_services
from tickets.models import QueueMember
from tickets.workflow import Action

from ..factories import UserFactory
from .conftest import rules, verified

pytestmark = pytest.mark.django_db


def test_a_colleague_acknowledging_in_the_portal_stops_everyone_s_pages(clock, jo, sev1):
    ann = UserFactory(role=Role.AGENT, first_name="Ann", last_name="Lee")
    QueueMember.objects.create(queue=sev1.queue, user=ann)
    verified(ann, "sms", "+447700900555")
    rules({"user": ann}, "urgent", (0, "sms"), (10, "sms"))
    page_start(ticket=sev1, user=jo, reason="r", key="test:jo")
    page_start(ticket=sev1, user=ann, reason="r", key="test:ann")

    ticket_services.ticket_update(ticket=sev1, actor=ann, title="Checkout is down for everyone")
    assert Page.objects.filter(stopped_at__isnull=True).count() == 2  # a new title stops nothing
    ticket_services.ticket_transition(ticket=sev1, actor=ann, action=Action.ACKNOWLEDGE)

    assert set(Page.objects.values_list("stop_reason", flat=True)) == {"Acknowledged by Ann Lee."}


def test_closing_by_the_system_stops_the_pages_without_a_name(clock, jo, sev1):
    page_start(ticket=sev1, user=jo, reason="r", key="test:1")
    ticket_services.ticket_transition(ticket=sev1, actor=None, action=Action.RESOLVE, note="AWS cleared it")
    assert Page.objects.get().stop_reason == "Resolved."
