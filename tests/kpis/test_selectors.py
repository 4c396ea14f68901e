"""KPI arithmetic on hand-built timelines: durations, SLA attainment in business hours, the backlog at the period's
end, reopen and first-contact rates, and the change versus the previous period."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from escalation.models import SlaPolicy
from kpis import charts, registry, selectors, services
from kpis.models import DailyRollup
from tickets.models import Ticket

from ..escalation.conftest import calendar
from ..factories import severity
from .conftest import ACK, DAY0, REOPEN, RESOLVE, T0, scope

pytestmark = pytest.mark.django_db
minutes = lambda n: timedelta(minutes=n)  # noqa: E731


def test_percentiles_read_from_histograms_are_within_nine_percent():
    histogram = {}
    for seconds in range(60, 601, 60):  # 1 to 10 minutes
        bucket = int(selectors.BUCKETS_PER_DOUBLING * __import__("math").log2(seconds))
        histogram[bucket] = histogram.get(bucket, 0) + 1
    assert selectors.percentile(histogram, 0.5) == pytest.approx(300, rel=0.09)
    assert selectors.percentile(histogram, 0.9) == pytest.approx(540, rel=0.09)
    assert selectors.percentile({}, 0.5) is None


def test_mtta_and_mttr_median_and_p90(timeline, now_values):
    for n in range(1, 11):  # acknowledged after n minutes, resolved after n hours
        ticket = timeline.ticket(at=minutes(n))
        timeline.act(ticket, ACK, at=minutes(2 * n))
        timeline.act(ticket, RESOLVE, at=minutes(n + 60 * n))
    for _ in range(3):  # never acknowledged nor resolved: in no duration
        timeline.ticket(at=minutes(30))
    timeline.settle()
    values = now_values(scope())
    assert float(values["mtta_p50"]) == pytest.approx(5, rel=0.09)
    assert float(values["mtta_p90"]) == pytest.approx(9, rel=0.09)
    assert float(values["mttr_p50"]) == pytest.approx(5, rel=0.09)
    assert float(values["mttr_p90"]) == pytest.approx(9, rel=0.09)
    assert (values["created"], values["resolved"]) == (13, 10)


def test_response_sla_is_judged_against_business_hours(timeline, now_values):
    # given: one business hour to acknowledge; two tickets filed on Friday at 16:30 (due Monday 09:30)
    SlaPolicy.objects.create(
        severity=severity("SEV3"),
        acknowledge_within=timedelta(hours=1),
        resolve_within=timedelta(hours=8),
        calendar=calendar(),
    )
    friday = -(T0 - T0.replace(day=27, month=2, hour=16, minute=30))
    in_time, late = timeline.ticket(at=friday), timeline.ticket(at=friday)
    # when: one is acknowledged on Monday at 09:10, inside the business hour; the other at 10:00
    timeline.act(in_time, ACK, at=minutes(-50))
    timeline.act(late, ACK, at=minutes(0))
    timeline.settle()
    # then: 24x7 both would have missed; in business hours one met it
    values = now_values(scope(date(2026, 2, 27), DAY0))
    assert values["response_sla"] == Decimal("50.00")
    missed = Ticket.objects.filter(
        pk__in=selectors.drill_ticket_ids(scope(date(2026, 2, 27), DAY0), name="response_missed", now=T0 + minutes(1))
    )
    assert list(missed) == [late]


def test_a_ticket_still_open_past_its_due_time_has_missed_and_one_inside_it_is_not_judged(timeline, now_values):
    timeline.ticket(sev="SEV1")  # 15 minutes to respond, 4 hours to resolve
    timeline.clock.move_to(T0 + minutes(30))
    services.facts_refresh()
    values = registry.kpi_values(scope(), now=T0 + minutes(30))
    assert values["response_sla"] == Decimal("0.00")  # missed
    assert values["resolution_sla"] is None  # not yet due: not judged


def test_sla_attainment_reads_the_due_times_moved_by_a_pause(timeline, now_values):
    # given: SEV1, 15 minutes to respond and 4 hours to resolve; both wait on the requester for 5 hours
    resumed, still_waiting = timeline.ticket(sev="SEV1"), timeline.ticket(sev="SEV1")
    for ticket in (resumed, still_waiting):
        timeline.act(ticket, "wait_on_requester", at=minutes(10))  # the agent's move acknowledges in time
    timeline.act(resumed, "start", at=minutes(310))
    # when: one is resolved at 5 h 20 min, past the 4 hours on the wall clock but inside them on the SLA clock
    timeline.act(resumed, "resolve", at=minutes(320))
    timeline.clock.move_to(T0 + minutes(330))
    services.facts_refresh()
    values = registry.kpi_values(scope(), now=T0 + minutes(330))
    # then: the resolved one met its moved due time; the one still waiting is not judged yet (its clock stands)
    assert (values["resolution_sla"], values["response_sla"]) == (Decimal("100.00"), Decimal("100.00"))


def test_the_backlog_counts_tickets_open_at_the_periods_end(timeline):
    resolved_inside = timeline.ticket(at=timedelta(days=-3))
    timeline.act(resolved_inside, RESOLVE, at=timedelta(days=-2))
    resolved_after = timeline.ticket(at=timedelta(days=-3))
    timeline.act(resolved_after, RESOLVE, at=timedelta(days=1))
    timeline.ticket(at=timedelta(days=-1))  # still open
    timeline.ticket(at=timedelta(days=2))  # filed after the period
    timeline.settle(days=5)
    period = scope(DAY0 - timedelta(days=3), DAY0 - timedelta(days=1))
    assert selectors.backlog_counts(period, ends=[period.end]) == [2]
    bands = selectors.backlog_by_severity_and_age(period)
    assert bands == {(severity("SEV3").pk, "lt1d"): 1, (severity("SEV3").pk, "1-3d"): 1}
    drilled = Ticket.objects.filter(pk__in=selectors.drill_ticket_ids(period, name="open", now=T0))
    assert {t.pk for t in drilled} == {resolved_after.pk, Ticket.objects.filter(resolved_at__isnull=True).first().pk}


def test_reopen_and_first_contact_rates(timeline, now_values):
    first_contact = timeline.ticket()
    timeline.reply(first_contact, at=minutes(5))
    timeline.act(first_contact, RESOLVE, at=minutes(10))
    reopened = timeline.ticket()
    timeline.act(reopened, RESOLVE, at=minutes(10))
    timeline.act(reopened, REOPEN, at=minutes(20), note="No.")
    timeline.act(reopened, RESOLVE, at=minutes(30))
    chatty = timeline.ticket()
    timeline.reply(chatty, at=minutes(5))
    timeline.reply(chatty, at=minutes(6))
    timeline.act(chatty, RESOLVE, at=minutes(10))
    timeline.ticket(kind=Ticket.Kind.AWS_FINDING)  # first contact does not apply
    timeline.settle()
    values = now_values(scope())
    assert values["reopen_rate"] == Decimal("33.33")
    assert values["first_contact_rate"] == Decimal("33.33")
    drilled = Ticket.objects.filter(pk__in=selectors.drill_ticket_ids(scope(), name="not_first_contact", now=T0))
    assert {t.pk for t in drilled} == {reopened.pk, chatty.pk}


def test_headlines_compare_with_the_previous_period(timeline):
    timeline.ticket(at=timedelta(days=-1))  # the previous period
    for n in range(3):
        timeline.ticket(at=minutes(n))
    timeline.settle()
    headlines = {h.kpi.key: h for h in charts.headlines(scope(), now=T0 + timedelta(days=1))}
    created = headlines["created"]
    assert (created.value, created.previous, created.change) == (3, 1, 2)
    assert created.verdict == "worse"  # more tickets filed
    assert "created_from=2026-03-02" in created.link


@pytest.fixture
def now_values():
    def _values(kpi_scope):
        return registry.kpi_values(kpi_scope, now=T0 + timedelta(days=1))

    return _values


ACCOUNT = "123456789012"


def _mixed_history(timeline):
    """Tickets of every fate, all in one account: met, missed, reopened, still open, resolved days later."""
    tickets = []
    for n, sev in enumerate(["SEV1", "SEV2", "SEV3", "SEV3", "SEV1", "SEV2"]):
        ticket = timeline.ticket(at=minutes(n), sev=sev, aws_account_id=ACCOUNT, environment="production")
        tickets.append(ticket)
        if n % 3 != 2:
            timeline.act(ticket, ACK, at=minutes(5 + 20 * n))
        if n % 2:
            timeline.act(ticket, RESOLVE, at=timedelta(hours=n, days=n % 3))
    timeline.act(tickets[1], REOPEN, at=timedelta(days=2), note="Again.")
    timeline.reply(tickets[3], at=timedelta(days=3))
    timeline.settle(days=4)
    return tickets


def test_the_rollup_and_the_facts_give_the_same_figures(timeline):
    # given: every ticket in one account, so the account filter (facts) and no filter (rollup) see the same tickets
    _mixed_history(timeline)
    everything = scope(DAY0 - timedelta(days=1), DAY0 + timedelta(days=4))
    one_account = everything.__class__(**{**everything.__dict__, "account": ACCOUNT})
    now = T0 + timedelta(days=5)
    # then
    assert selectors.ticket_measures(everything, now=now, with_previous=True) == selectors.ticket_measures(
        one_account, now=now, with_previous=True
    )
    assert selectors.flow_by_day(everything) == selectors.flow_by_day(one_account)
    assert selectors.sla_by_severity(everything, now=now) == selectors.sla_by_severity(one_account, now=now)


def test_the_incremental_rollup_matches_a_rebuild(timeline):
    _mixed_history(timeline)

    def rows():
        return sorted(
            DailyRollup.objects.values_list(
                "day",
                "severity_id",
                "environment",
                "created",
                "resolved",
                "response_met",
                "response_missed",
                "reopened",
            )
        )

    incremental = rows()
    services.facts_rebuild()
    assert rows() == incremental


def test_long_ranges_read_percentiles_from_one_ticket_in_eight(timeline, now_values, monkeypatch):
    monkeypatch.setattr(selectors, "SAMPLE_ENOUGH", 2)
    for n in range(16):
        ticket = timeline.ticket(at=minutes(n))
        timeline.act(ticket, ACK, at=minutes(n + 10))
    timeline.settle()
    long_range = scope(DAY0 - timedelta(days=selectors.SAMPLE_AFTER_DAYS), DAY0)
    assert float(now_values(long_range)["mtta_p50"]) == pytest.approx(10, rel=0.09)
    sampled = selectors.durations_by(long_range, "severity")[severity("SEV3").pk]
    assert sum(sampled.mtta.values()) == 2  # ids divisible by eight


def test_a_sample_too_small_to_say_anything_is_replaced_by_the_whole_range(timeline, now_values):
    for n in range(16):  # a quiet segment: a sample of one in eight would hold two tickets
        ticket = timeline.ticket(at=minutes(n))
        timeline.act(ticket, ACK, at=minutes(n + 10))
    timeline.settle()
    long_range = scope(DAY0 - timedelta(days=365), DAY0, severity_id=severity("SEV3").pk)

    assert float(now_values(long_range)["mtta_p50"]) == pytest.approx(10, rel=0.09)
    assert sum(selectors.durations_by(long_range, "severity")[severity("SEV3").pk].mtta.values()) == 16
