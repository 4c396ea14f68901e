"""Daily snapshots (unique per day, kept after tickets go) and target breach notices (once per day, to the right
people and channels)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kpis import services, tasks
from kpis.models import KpiSnapshot, KpiTarget
from notifications.models import Channel, Notification
from tickets.models import Ticket

from ..factories import UserFactory, severity
from .conftest import ACK, DAY0, T0

pytestmark = pytest.mark.django_db
minutes = lambda n: timedelta(minutes=n)  # noqa: E731


@pytest.fixture
def target(manager):
    """SEV1 MTTA at most 15 minutes, in production, over a day; a stakeholder and a channel hear of misses."""
    target = KpiTarget.objects.create(
        kpi="mtta_p50",
        direction=KpiTarget.Direction.AT_MOST,
        value=Decimal(15),
        window_days=1,
        severity=severity("SEV1"),
        environment="production",
    )
    target.stakeholders.set([manager])
    target.channels.set(
        [Channel.objects.create(name="Ops", kind=Channel.Kind.EMAIL, email_addresses="ops@example.com")]
    )
    return target


@pytest.mark.parametrize(
    ("kpi", "value", "error"),
    [
        ("mtta_p50", "-5", "below zero"),
        ("response_sla", "250", "between 0 and 100"),
        ("created", "0.5", "a whole number"),
        ("nonsense", "1", "Choose one of the KPIs"),
    ],
)
def test_a_target_no_kpi_could_reach_is_refused_with_the_reason(kpi, value, error):
    target = KpiTarget(kpi=kpi, direction=KpiTarget.Direction.AT_MOST, value=Decimal(value), window_days=7)
    with pytest.raises(ValidationError, match=error):
        target.full_clean()


def _slow_sev1(timeline, *, ack_after: int = 40):
    ticket = timeline.ticket(sev="SEV1", environment=Ticket.Environment.PRODUCTION)
    timeline.act(ticket, ACK, at=minutes(ack_after))
    timeline.settle()
    return ticket


def test_snapshots_are_one_per_day_kpi_and_scope_however_often_taken(timeline, target):
    _slow_sev1(timeline)
    services.kpi_snapshots_take(day=DAY0)
    count = KpiSnapshot.objects.count()
    services.kpi_snapshots_take(day=DAY0)
    assert KpiSnapshot.objects.count() == count
    scopes = set(KpiSnapshot.objects.values_list("scope_key", "window_days"))
    assert scopes == {("", 1), ("environment=production&severity=SEV1", 1)}


def test_snapshots_survive_the_deletion_of_their_tickets(timeline, target):
    ticket = _slow_sev1(timeline)
    services.kpi_snapshots_take(day=DAY0)
    ticket.delete()
    created = KpiSnapshot.objects.get(day=DAY0, kpi="created", scope_key="")
    assert created.value == 1


def test_a_missed_target_notifies_its_stakeholders_and_channels_once_per_day(timeline, target, manager):
    # given: a SEV1 production ticket acknowledged after 40 minutes; a bystander who is no stakeholder
    _slow_sev1(timeline)
    UserFactory()
    # when: the day is evaluated twice
    assert services.kpi_snapshots_take(day=DAY0) == 1
    services.kpi_snapshots_take(day=DAY0)
    # then: one notice each for the stakeholder and the channel
    sent = Notification.objects.order_by("key")
    assert [(n.email, n.channel_id) for n in sent] == [("", target.channels.get().pk), (manager.email, None)]
    assert "KPI target missed: MTTA, median" in sent[0].subject
    # and the next day, still missed, is a new breach-day
    services.kpi_snapshots_take(day=DAY0 + timedelta(days=1))
    assert Notification.objects.count() == 2  # nothing created that day: the KPI has no value, nothing to judge


def test_a_met_target_notifies_nobody(timeline, target):
    _slow_sev1(timeline, ack_after=5)
    assert services.kpi_snapshots_take(day=DAY0) == 0
    assert not Notification.objects.exists()


def test_a_target_in_another_scope_is_not_judged_by_these_tickets(timeline, target):
    ticket = timeline.ticket(sev="SEV1", environment=Ticket.Environment.STAGING)
    timeline.act(ticket, ACK, at=minutes(40))
    timeline.settle()
    assert services.kpi_snapshots_take(day=DAY0) == 0


def test_the_daily_task_snapshots_yesterday(timeline, target):
    _slow_sev1(timeline)
    timeline.clock.move_to(T0 + timedelta(days=1))
    tasks.kpi_snapshots_task()
    assert set(KpiSnapshot.objects.values_list("day", flat=True)) == {DAY0}
