"""Beat's rounds spread each account's poll over the interval, at a slot of its own, with the overdue-poll sweep
catching what is lost: no thundering herd at :00, every account polled once a round."""

import heapq
import itertools
import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from integrations import tasks
from integrations.accounts.selectors import poll_slot
from integrations.models import AwsAccount, PollRun
from tests.factories import QueueFactory

pytestmark = pytest.mark.django_db

EVERY = timedelta(minutes=30)


def _round_every(minutes: int | None) -> None:
    """Trusted Advisor's round in Periodic tasks, as an admin sets it (None: turned off)."""
    periodic = PeriodicTask.objects.get(name="Poll Trusted Advisor")
    if minutes is None:
        periodic.enabled = False
    else:
        periodic.interval, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
    periodic.save()


def _accounts(count: int, *, first: int = 0) -> list[AwsAccount]:
    queue = QueueFactory()
    return AwsAccount.objects.bulk_create(
        AwsAccount(account_id=str(400_000_000_000 + first + i), name=f"Spread {first + i}", owner_queue=queue)
        for i in range(count)
    )


class Beat:
    """Beat and the broker in one clock: what is queued runs at its time, in order, under a frozen clock."""

    def __init__(self, monkeypatch, start: datetime) -> None:
        self.start, self.now = start, start
        self.events: list[tuple[datetime, int, object, tuple]] = []
        self.order = itertools.count()
        self.spread: dict[int, list[datetime]] = defaultdict(list)  # account: when the round's polls ran
        self.swept: list[tuple[int, datetime]] = []  # what the overdue sweep queued
        self.countdowns: list[float] = []
        self.lost: set[tuple[int, int]] = set()  # (account, round) whose poll a killed worker loses
        self.poll = tasks.trusted_advisor_poll_task
        monkeypatch.setattr(self.poll, "apply_async", self._poll_queued)
        monkeypatch.setattr(self.poll, "delay", self._swept)
        monkeypatch.setattr(tasks.trusted_advisor_poll_all_task, "apply_async", self._step_queued)

    def at(self, when: datetime, action, *args) -> None:
        heapq.heappush(self.events, (when, next(self.order), action, args))

    def run_until(self, end: datetime) -> None:
        with time_machine.travel(self.start, tick=False) as clock:
            while self.events and self.events[0][0] < end:
                when, _, action, args = heapq.heappop(self.events)
                clock.move_to(when)
                self.now = when
                action(*args)

    def _step_queued(self, *, kwargs: dict, countdown: float) -> None:
        self.countdowns.append(countdown)
        self.at(self.now + timedelta(seconds=countdown), tasks.trusted_advisor_poll_all_task, *kwargs.values())

    def _poll_queued(self, *, args: list, countdown: float) -> None:
        self.countdowns.append(countdown)
        self.at(self.now + timedelta(seconds=countdown), self._polled, args[0], "spread")

    def _swept(self, account_id: int) -> None:
        self.swept.append((account_id, self.now))
        self.at(self.now, self._polled, account_id, "sweep")

    def _polled(self, account_id: int, by: str) -> None:
        if by == "spread":
            self.spread[account_id].append(self.now)
        round_number = (self.now - self.start) // EVERY
        if (account_id, round_number) not in self.lost:
            PollRun.objects.create(account_id=account_id, source="trusted_advisor", started_at=self.now, outcome="ok")


def test_a_thousand_accounts_are_polled_once_a_round_spread_evenly_over_its_minutes(monkeypatch):
    # given: a thousand accounts, Trusted Advisor every 30 minutes
    accounts = {a.pk for a in _accounts(1000)}
    start = timezone.now().replace(second=0, microsecond=0)
    beat = Beat(monkeypatch, start)
    # when: beat starts two rounds
    beat.at(start, tasks.trusted_advisor_poll_all_task)
    beat.at(start + EVERY, tasks.trusted_advisor_poll_all_task)
    beat.run_until(start + 2 * EVERY)
    # then: each account is polled once a round, exactly a round apart, at the same slot
    assert set(beat.spread) == accounts
    assert {len(times) for times in beat.spread.values()} == {2}
    assert {second - first for first, second in beat.spread.values()} == {EVERY}
    # no minute holds more than its share and one
    per_minute = Counter((times[0] - start) // timedelta(minutes=1) for times in beat.spread.values())
    assert sorted(per_minute) == list(range(30))
    assert max(per_minute.values()) <= math.ceil(1000 / 30) + 1
    # nothing waits in the broker anywhere near its visibility timeout
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert max(beat.countdowns) <= 60 < visibility / 10


def test_the_overdue_sweep_leaves_accounts_waiting_for_their_slot_and_catches_a_lost_poll_and_a_new_account(
    monkeypatch,
):
    # given: 100 accounts polled at their slots in the previous round; the sweep runs every minute
    accounts = _accounts(100)
    start = timezone.now().replace(second=0, microsecond=0)
    PollRun.objects.bulk_create(
        PollRun(
            account=a,
            source="trusted_advisor",
            started_at=start - EVERY + poll_slot(account_id=a.pk, every=EVERY),
            outcome="ok",
        )
        for a in accounts
    )
    _round_every(30)  # Health's round is not under test: turned off
    PeriodicTask.objects.filter(name="Poll AWS Health").update(enabled=False)
    beat = Beat(monkeypatch, start)
    lost = max(accounts, key=lambda a: poll_slot(account_id=a.pk, every=EVERY))  # late in the round
    beat.lost.add((lost.pk, 0))
    for minute in range(33):
        beat.at(start + timedelta(minutes=minute, seconds=30), tasks.polls_overdue_queue_task)
    beat.at(start, tasks.trusted_advisor_poll_all_task)
    beat.at(start + EVERY, tasks.trusted_advisor_poll_all_task)
    # when: a round runs, its poll of one account is lost, and an account is added 10 minutes in
    beat.run_until(start + timedelta(minutes=10))
    [new] = _accounts(1, first=1000)
    beat.run_until(start + EVERY + timedelta(minutes=3))
    # then: the sweep queued the new account within a minute, the lost poll within two of its slot, nothing else
    lost_slot = start + poll_slot(account_id=lost.pk, every=EVERY)
    swept = dict(beat.swept)
    assert set(swept) == {new.pk, lost.pk}
    assert swept[new.pk] - (start + timedelta(minutes=10)) <= timedelta(minutes=1)
    assert timedelta(0) < swept[lost.pk] - lost_slot <= timedelta(minutes=2)
    assert len(beat.swept) == 2  # once each: their polls left their records
    first_round = Counter(pk for pk, times in beat.spread.items() for t in times if t < start + EVERY)
    assert set(first_round.values()) == {1} and set(first_round) >= {a.pk for a in accounts}


def test_a_round_turned_off_mid_way_queues_no_more_and_a_round_by_hand_queues_all_at_once(monkeypatch):
    _accounts(120)
    start = timezone.now().replace(second=0, microsecond=0)
    beat = Beat(monkeypatch, start)
    beat.at(start, tasks.trusted_advisor_poll_all_task)
    beat.run_until(start + timedelta(minutes=5))
    polled = len(beat.spread)
    # when: an admin turns the round off 5 minutes in
    _round_every(None)
    beat.run_until(start + EVERY)
    # then: nothing more of that round; a run by hand (no interval round) queues every account at once
    assert 0 < polled < 120 and len(beat.spread) == polled
    assert tasks.trusted_advisor_poll_all_task() == 120
    assert len(beat.swept) == 120  # queued at once, with no countdown
