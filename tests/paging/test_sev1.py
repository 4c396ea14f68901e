"""A new SEV1 reaches the queue's on-call at once: the rule starts the policy, its first step pages them, and the
page's first rule (SMS at once) is in the outbox when that step commits."""

from datetime import date, timedelta

import pytest

from escalation.services import escalation_step
from notifications.models import Notification
from rules.models import Rule

from ..escalation.conftest import escalation_policy, queued_steps
from ..factories import QueueFactory, TicketFactory, severity
from ..oncall.helpers import oncall_layer

pytestmark = pytest.mark.django_db


def test_a_sev1_filed_pages_the_on_call_by_sms_in_the_first_step(clock, jo):
    queue = QueueFactory(name="Payments", members=[jo])
    oncall_layer(queue, "Primary", jo, start=date(2026, 2, 23))  # a Monday before T0
    policy = escalation_policy(("notify_oncall", timedelta(0)), name="Page the on-call now")
    Rule.objects.create(name="SEV1 and SEV2 page the on-call", min_severity=severity("SEV2"), start_escalation=policy)

    ticket = TicketFactory(queue=queue, severity=severity("SEV1"))

    [(run, token, countdown)] = queued_steps()
    assert countdown == 0  # the worker takes it at once
    assert escalation_step(ticket_escalation_id=run, token=token) == "ran"
    sms = Notification.objects.get(ticket=ticket, key__startswith="page:")
    assert (sms.sms_to, sms.status) == ("+447700900123", "pending")  # delivered by the worker after the commit
