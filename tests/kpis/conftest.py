from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from kpis import services
from kpis.filters import KpiScope
from tickets import services as ticket_services
from tickets.workflow import Action

from ..factories import QueueFactory, TicketFactory, severity

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning
DAY0 = date(2026, 3, 2)


@pytest.fixture
def clock():
    """The clock frozen at T0; tests move it with clock.move_to(...) or clock.shift(...)."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk(agent):
    """A queue worked by `agent`."""
    return QueueFactory(members=[agent])


class Timeline:
    """Hand-built ticket histories: each step at a given time after T0, through the real services."""

    def __init__(self, clock, agent, queue):
        self.clock, self.agent, self.queue = clock, agent, queue

    def at(self, offset: timedelta) -> None:
        self.clock.move_to(T0 + offset)

    def ticket(self, *, at: timedelta = timedelta(0), sev: str = "SEV3", **fields):
        self.at(at)
        return TicketFactory(queue=self.queue, severity=severity(sev), **fields)

    def act(self, ticket, action: str, *, at: timedelta, note: str = "Done.", actor=None):
        self.at(at)
        return ticket_services.ticket_transition(ticket=ticket, actor=actor or self.agent, action=action, note=note)

    def reply(self, ticket, *, at: timedelta, author=None, body: str = "Try turning it off and on."):
        self.at(at)
        return ticket_services.comment_add(ticket=ticket, author=author or self.agent, body=body)

    def settle(self, *, days: int = 1) -> None:
        """Let time pass so every event is settled, then fold the timeline into the facts."""
        self.clock.shift(timedelta(days=days))
        services.facts_refresh()


@pytest.fixture
def timeline(clock, agent, desk):
    return Timeline(clock, agent, desk)


def scope(start: date = DAY0, end: date = DAY0, **dims) -> KpiScope:
    return KpiScope(start=start, end=end, **dims)


ACK, RESOLVE, REOPEN, CLOSE = Action.ACKNOWLEDGE, Action.RESOLVE, Action.REOPEN, Action.CLOSE
