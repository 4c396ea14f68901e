"""Facts from hand-built timelines; the refresh converges however often, or however interrupted, it runs."""

from datetime import timedelta
from unittest import mock

import pytest

from integrations.models import AwsAccount, SupportCase
from kpis import services
from kpis.models import FactCursor, TicketFact
from tickets.models import Queue, TicketEvent

from .conftest import ACK, DAY0, REOPEN, RESOLVE, T0

pytestmark = pytest.mark.django_db
minutes = lambda n: timedelta(minutes=n)  # noqa: E731


def _fact_rows() -> list[tuple]:
    return list(
        TicketFact.objects.order_by("pk").values_list(
            "ticket_id",
            "acknowledged_at",
            "first_resolved_at",
            "resolved_at",
            "reopen_count",
            "agent_replies",
            "mtta_seconds",
            "mttr_seconds",
            "mtta_bucket",
            "mttr_bucket",
            "severity_id",
            "queue_id",
        )
    )


def _cursor() -> int:
    return FactCursor.objects.values_list("last_event_id", flat=True).first() or 0


def test_a_reopened_ticket_counts_its_reopen_and_its_last_resolution(timeline):
    # given: acknowledged after 10 minutes, resolved after 2 hours, reopened, resolved again after 5 hours
    ticket = timeline.ticket()
    timeline.act(ticket, ACK, at=minutes(10))
    timeline.reply(ticket, at=minutes(20))
    timeline.act(ticket, RESOLVE, at=minutes(120))
    timeline.act(ticket, REOPEN, at=minutes(180), note="Still broken.")
    timeline.act(ticket, RESOLVE, at=minutes(300))
    # when
    timeline.settle()
    # then
    fact = TicketFact.objects.get(ticket_id=ticket.pk)
    assert (fact.mtta_seconds, fact.mttr_seconds) == (600, 5 * 3600)
    assert fact.first_resolved_at == T0 + minutes(120)
    assert fact.resolved_at == T0 + minutes(300)
    assert (fact.reopen_count, fact.agent_replies) == (1, 1)
    assert fact.created_day == fact.resolved_day == DAY0
    assert fact.mtta_bucket == 36  # 600 s is between 2^9 and 2^9.25
    assert fact.response_due_at == ticket.response_due_at


def test_a_requesters_own_comment_is_not_an_agent_reply(timeline, requester):
    ticket = timeline.ticket(requester=requester)
    timeline.reply(ticket, at=minutes(5), author=requester, body="Any news?")
    timeline.settle()
    assert TicketFact.objects.get(ticket_id=ticket.pk).agent_replies == 0


def test_the_refresh_follows_later_changes_to_the_ticket(timeline, agent):
    ticket = timeline.ticket(sev="SEV3")
    timeline.settle()
    assert TicketFact.objects.get(ticket_id=ticket.pk).resolved_at is None
    timeline.act(ticket, RESOLVE, at=timedelta(days=2))
    timeline.settle()
    assert TicketFact.objects.get(ticket_id=ticket.pk).resolved_at == T0 + timedelta(days=2)


def test_running_the_refresh_twice_changes_nothing(timeline):
    tickets = [timeline.ticket(at=minutes(n)) for n in range(3)]
    timeline.act(tickets[0], RESOLVE, at=minutes(30))
    timeline.settle()
    first = _fact_rows()
    assert services.facts_refresh() == 0  # nothing new since
    FactCursor.objects.update(last_event_id=0)  # as if the cursor were lost: every ticket again
    assert services.facts_refresh() == 3
    assert _fact_rows() == first


def test_a_refresh_killed_midway_leaves_the_cursor_and_the_rerun_converges(timeline):
    tickets = [timeline.ticket(at=minutes(n)) for n in range(4)]
    timeline.clock.shift(timedelta(days=1))
    killed = mock.patch.object(services, "facts_refresh_tickets", side_effect=RuntimeError("worker killed"))
    with killed, pytest.raises(RuntimeError):
        services.facts_refresh(batch_size=2)
    assert _cursor() == 0
    assert not TicketFact.objects.exists()
    services.facts_refresh(batch_size=2)
    assert set(TicketFact.objects.values_list("ticket_id", flat=True)) == {t.pk for t in tickets}
    assert _cursor() == TicketEvent.objects.latest("pk").pk


def test_the_cursor_waits_behind_events_that_may_not_have_settled(timeline):
    # Events younger than SETTLE are folded in, but read again next time: a transaction still open may yet
    # commit an event with a lower id.
    ticket = timeline.ticket()
    services.facts_refresh()
    assert TicketFact.objects.filter(ticket_id=ticket.pk).exists()
    assert _cursor() == 0
    timeline.clock.shift(services.SETTLE + minutes(1))
    services.facts_refresh()
    assert _cursor() == TicketEvent.objects.latest("pk").pk


def test_the_bulk_rebuild_matches_the_incremental_refresh(timeline):
    ticket = timeline.ticket()
    timeline.act(ticket, ACK, at=minutes(3))
    timeline.act(ticket, RESOLVE, at=minutes(90))
    timeline.ticket(at=minutes(5), sev="SEV1")
    timeline.settle()
    incremental = _fact_rows()
    assert services.facts_rebuild() == 2
    assert _fact_rows() == incremental


def test_a_deleted_tickets_facts_go_with_it(timeline):
    ticket = timeline.ticket()
    timeline.settle()
    ticket.delete()
    assert not TicketFact.objects.exists()


def test_a_deleted_ticket_leaves_the_daily_counts_at_once(timeline):
    from kpis.models import DailyRollup

    kept, deleted = timeline.ticket(), timeline.ticket()
    timeline.settle()
    assert sum(DailyRollup.objects.values_list("created", flat=True)) == 2

    deleted.delete()

    assert sum(DailyRollup.objects.values_list("created", flat=True)) == 1
    assert TicketFact.objects.get().ticket_id == kept.pk


def test_only_cases_opened_from_supportdesk_count_as_escalations_to_aws(timeline):
    # given: a ticket escalated to AWS, and one filed for a case AWS opened itself
    account = AwsAccount.objects.create(account_id="111122223333", name="Prod", owner_queue=Queue.objects.first())
    escalated, found = timeline.ticket(), timeline.ticket()
    for ticket, origin, case_id in ((escalated, "supportdesk", "case-1"), (found, "aws", "case-2")):
        SupportCase.objects.create(
            ticket=ticket, account=account, case_id=case_id, state="open", origin=origin, opened_at=T0, body="…"
        )
    # when
    timeline.settle()
    # then
    facts = dict(TicketFact.objects.values_list("ticket_id", "aws_case_opened_at"))
    assert facts == {escalated.pk: T0, found.pk: None}
