"""What `/metrics` reads at scrape time: the outbox, polls, tickets and SLA breaches from the database, the queues
from the broker. A fixed number of queries however much data there is (a test holds it), each side bounded by a
short timeout: a slow database or a down broker costs the scrape those gauges, never the answer."""

import logging
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from celery import current_app
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import ChannelError
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from escalation.models import TicketSlaState
from integrations.accounts import selectors as accounts
from integrations.accounts.tasks import pollable
from integrations.health.tasks import health_pollable
from integrations.models import AwsAccount, PollRun, Source
from integrations.tasks import (
    health_poll_all_task,
    organization_discover_all_task,
    trusted_advisor_poll_all_task,
)
from notifications.models import Notification
from supportdesk.queues import QUEUES
from tickets.filters import breaching_q
from tickets.models import Ticket

logger = logging.getLogger(__name__)

DATABASE_TIMEOUT_MS = 5000  # each statement; Prometheus gives up on a scrape after 10 s by default
BROKER_TIMEOUT = 1.0  # seconds, to connect and for each answer
SUCCEEDED = (PollRun.Outcome.OK, PollRun.Outcome.PARTIAL)  # a partial poll ran and ticketed what it read


@dataclass(frozen=True)
class PollRound:
    source: str
    fan_out_task: str  # beat's task, whose interval says how often the round runs

    def accounts(self) -> QuerySet[AwsAccount]:
        """The accounts the round polls (as its fan-out chooses them), so an account no longer polled for a source
        (a plan without the API, a member whose manager reads Health) leaves no series behind to alert on."""
        if self.source == Source.TRUSTED_ADVISOR:
            return pollable()
        if self.source == Source.HEALTH:
            return health_pollable()
        return AwsAccount.objects.filter(enabled=True, is_organization_manager=True)


ROUNDS = (
    PollRound(Source.TRUSTED_ADVISOR, trusted_advisor_poll_all_task.name),
    PollRound(Source.HEALTH, health_poll_all_task.name),
    PollRound(Source.ORGANIZATIONS, organization_discover_all_task.name),
)


class SupportdeskCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        database_up = GaugeMetricFamily("supportdesk_database_up", "1 if this scrape read the database.")
        try:
            yield from database_metrics(now=timezone.now())
        except DatabaseError:
            logger.warning("Metrics: the database did not answer.", exc_info=True)
            database_up.add_metric([], 0)
        else:
            database_up.add_metric([], 1)
        yield database_up
        database_done = time.perf_counter()
        yield from broker_metrics()
        seconds = GaugeMetricFamily(
            "supportdesk_metrics_collect_seconds", "Time this scrape spent reading each source.", labels=["source"]
        )
        seconds.add_metric(["database"], database_done - started)
        seconds.add_metric(["broker"], time.perf_counter() - database_done)
        yield seconds


def database_metrics(*, now: datetime) -> list[Metric]:
    """Read in one transaction (one snapshot, one statement timeout), returned whole: half a scrape is no scrape."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {DATABASE_TIMEOUT_MS}")
        return [*_outbox(now), _poll_ages(now), _poll_intervals(), *_tickets(now), _sla_breaches()]


def _outbox(now: datetime) -> list[Metric]:
    # Sent rows pile up forever and are not read: the index on status finds the few others
    rows = (
        Notification.objects.filter(
            status__in=[Notification.Status.PENDING, Notification.Status.FAILED, Notification.Status.DEAD]
        )
        .values("status", retrying=Q(attempts__gt=0))
        .annotate(count=Count("pk"), oldest=Min("created_at"))
    )
    counts = dict.fromkeys(("pending", "retrying", "failed", "dead"), 0)
    oldest: datetime | None = None
    for row in rows:
        pending = row["status"] == Notification.Status.PENDING
        state = ("retrying" if row["retrying"] else "pending") if pending else row["status"]
        counts[state] += row["count"]
        if pending:
            oldest = min(oldest or row["oldest"], row["oldest"])
    by_state = GaugeMetricFamily(
        "supportdesk_outbox_notifications",
        "Notifications in the outbox by state: pending (not tried yet), retrying (an outage: tried, due again), "
        "failed (refused), dead (unreachable for a day; replay from the admin).",
        labels=["state"],
    )
    for state, count in counts.items():
        by_state.add_metric([state], count)
    age = GaugeMetricFamily(
        "supportdesk_outbox_oldest_unsent_age_seconds",
        "How long the oldest pending (or retrying) notification has waited; 0 when none waits.",
    )
    age.add_metric([], (now - oldest).total_seconds() if oldest else 0)
    return [by_state, age]


def _poll_ages(now: datetime) -> Metric:
    ages = GaugeMetricFamily(
        "supportdesk_poll_last_success_age_seconds",
        "Seconds since an account's last successful (or partly failed) poll of a source ended; since its first "
        "recorded poll when none succeeded. Accounts a source does not poll have no series.",
        labels=["account_id", "account_name", "source"],
    )
    for poll_round in ROUNDS:  # one query each: per account, two probes of the (account, source, started_at) index
        runs = PollRun.objects.filter(account=OuterRef("pk"), source=poll_round.source)
        last_success = runs.filter(outcome__in=SUCCEEDED).order_by("-started_at").values("finished_at")[:1]
        first = runs.order_by("started_at").values("started_at")[:1]
        polled = poll_round.accounts().annotate(since=Coalesce(Subquery(last_success), Subquery(first)))
        for account_id, name, since in polled.filter(since__isnull=False).values_list("account_id", "name", "since"):
            ages.add_metric([account_id, name, poll_round.source], max((now - since).total_seconds(), 0))
    return ages


def _poll_intervals() -> Metric:
    intervals = GaugeMetricFamily(
        "supportdesk_poll_interval_seconds",
        "How often beat starts each source's round of polls (Periodic tasks); no series while it is off.",
        labels=["source"],
    )
    for poll_round in ROUNDS:
        every = accounts.poll_interval(task_name=poll_round.fan_out_task)
        if every is not None:
            intervals.add_metric([poll_round.source], every.total_seconds())
    return intervals


def _tickets(now: datetime) -> list[Metric]:
    opened = CounterMetricFamily(
        "supportdesk_tickets_opened", "Tickets filed, by kind (where they come from).", labels=["kind"]
    )
    for kind, count in Ticket.objects.order_by().values_list("kind").annotate(count=Count("pk")):
        opened.add_metric([kind], count)
    # Over open tickets only (the partial index of unresolved due times), as the ticket list's filter reads them
    breaching = Ticket.objects.filter(resolved_at__isnull=True).aggregate(count=Count("pk", filter=breaching_q(now)))
    now_breaching = GaugeMetricFamily(
        "supportdesk_sla_breaching_tickets", "Open tickets past a due time they have not met (response or resolution)."
    )
    now_breaching.add_metric([], breaching["count"])
    return [opened, now_breaching]


def _sla_breaches() -> Metric:
    recorded = TicketSlaState.objects.aggregate(
        response=Count("response_breached_at"), resolution=Count("resolution_breached_at")
    )
    breaches = CounterMetricFamily(
        "supportdesk_sla_breaches", "SLA breaches the clocks have recorded, by target.", labels=["target"]
    )
    for target, count in recorded.items():
        breaches.add_metric([target], count)
    return breaches


def broker_metrics() -> Iterator[Metric]:
    """Messages waiting in each queue, read from the broker the workers consume: a passive queue declare, which
    Redis answers with the lists' lengths, RabbitMQ with its count, the filesystem broker by counting files."""
    depth = GaugeMetricFamily(
        "supportdesk_broker_queue_messages", "Messages waiting in each Celery queue.", labels=["queue"]
    )
    up = GaugeMetricFamily("supportdesk_broker_up", "1 if this scrape read the broker's queues.")
    options = {"socket_timeout": BROKER_TIMEOUT, "socket_connect_timeout": BROKER_TIMEOUT}  # Redis
    options |= {"read_timeout": BROKER_TIMEOUT, "write_timeout": BROKER_TIMEOUT}  # RabbitMQ
    try:
        with current_app.connection_for_read(connect_timeout=BROKER_TIMEOUT, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1)  # one attempt: no retry loop inside a scrape
            for queue in QUEUES:
                depth.add_metric([queue], _queue_size(conn, queue))
    except Exception:  # whatever the transport raises (refused, timed out, bad credentials): the scrape answers
        logger.warning("Metrics: the broker did not answer.", exc_info=True)
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    yield from (depth, up)


def _queue_size(conn, queue: str) -> int:
    channel = conn.channel()  # one each: RabbitMQ closes a channel that asked about a missing queue
    try:
        return channel.queue_declare(queue=queue, passive=True).message_count
    except ChannelError:
        return 0  # not declared yet (nothing ever sent), or on Redis an empty list, which Redis does not keep
    finally:
        with suppress(Exception):  # already closed by the broker
            channel.close()
