"""Writes: the ticket facts (from the timeline), the daily snapshots and the target breach notices.

Facts are derived: each refresh recomputes whole rows from the ticket and its timeline with one INSERT … SELECT …
ON CONFLICT, so running it twice, or after a killed worker, ends in the same rows.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from notifications.services import notify_audience
from supportdesk import sql
from tickets.models import Ticket, TicketEvent

from . import registry
from .filters import KpiScope
from .models import FactCursor, KpiSnapshot, KpiTarget
from .selectors import BUCKETS_PER_DOUBLING, FCR_APPLIES, FIRST_CONTACT, RESPONDED_AT, ROLLUP_SUMS

S = Ticket.Status
DONE = [str(S.RESOLVED.label), str(S.CLOSED.label)]  # status events carry labels
REFRESH_BATCH = 5000  # timeline events per refresh transaction
# Events newer than this may still have neighbours with lower ids in transactions not yet committed; the cursor
# stays behind them, so they are read again next time (refreshing a ticket twice is harmless).
SETTLE = timedelta(minutes=5)
SNAPSHOT_WINDOW = 1  # the global snapshot: each day on its own

# NULL (not yet acknowledged or resolved) stays NULL: greatest() would make it 1 second
_BUCKET = (
    f"CAST(floor({BUCKETS_PER_DOUBLING} * ln(CAST(CASE WHEN {{0}} < 1 THEN 1 ELSE {{0}} END AS double precision)) "
    "/ ln(2)) AS smallint)"
)
_FACT_COLUMNS = (
    "ticket_id, created_at, created_day, severity_id, queue_id, kind, environment, account, acknowledged_at, "
    "first_resolved_at, resolved_at, resolved_day, response_due_at, resolution_due_at, reopen_count, "
    "agent_replies, mtta_seconds, mttr_seconds, mtta_bucket, mttr_bucket, aws_case_opened_at, "
    "aws_case_resolved_at, sla_paused_since, refreshed_at"
)


def _facts_select(*, events_filter: str = "", tickets_filter: str = "") -> str:
    done = sql.any_of(sql.json_text("ev.data", "{0}"), "%(done)s")
    return f"""
WITH e AS (
    SELECT ev.ticket_id,
        min(ev.created_at) FILTER (WHERE ev.kind = 'status_changed' AND {done.format("after")}
            AND NOT {done.format("before")}) AS first_resolved_at,
        count(*) FILTER (WHERE ev.kind = 'status_changed' AND {done.format("before")}
            AND NOT {done.format("after")}) AS reopens,
        count(*) FILTER (WHERE ev.kind = 'commented' AND NOT ev.is_internal AND ev.actor_id <> tt.requester_id)
            AS replies
    FROM tickets_ticketevent ev JOIN tickets_ticket tt ON tt.id = ev.ticket_id
    WHERE ev.kind IN ('status_changed', 'commented') {events_filter}
    GROUP BY ev.ticket_id
), d AS (
    SELECT t.*, e.first_resolved_at, coalesce(e.reopens, 0) AS reopens, coalesce(e.replies, 0) AS replies,
        CAST(round({sql.seconds_between("t.acknowledged_at", "t.created_at")}) AS integer) AS mtta,
        CAST(round({sql.seconds_between("t.resolved_at", "t.created_at")}) AS integer) AS mttr,
        c.opened_at AS case_opened_at, CASE WHEN c.state = 'resolved' THEN c.last_synced_at END AS case_resolved_at
    FROM tickets_ticket t
    LEFT JOIN e ON e.ticket_id = t.id
    LEFT JOIN integrations_supportcase c ON c.ticket_id = t.id AND c.state IN ('open', 'resolved')
        AND c.origin = 'supportdesk' /* escalations only: not a case AWS or the console opened */
    {tickets_filter}
)
SELECT id, created_at, {sql.local_day("created_at", "%(tz)s")}, severity_id, queue_id, kind, environment,
    aws_account_id, acknowledged_at, first_resolved_at, resolved_at, {sql.local_day("resolved_at", "%(tz)s")},
    response_due_at, resolution_due_at, {sql.least("reopens", "32767")}, {sql.least("replies", "32767")}, mtta, mttr,
    {_BUCKET.format("mtta")}, {_BUCKET.format("mttr")}, case_opened_at, case_resolved_at, sla_paused_since,
    %(now)s
FROM d WHERE true"""  # WHERE: SQLite reads "ON CONFLICT" after a bare FROM as a join's ON


# Whole days of the rollup from the facts: tickets created that day, and those resolved (for the last time) that day
_ROLLUP_INSERT = f"""
INSERT INTO kpis_dailyrollup (day, severity_id, queue_id, environment, {", ".join(ROLLUP_SUMS)})
SELECT day, severity_id, queue_id, environment, {", ".join(f"sum({c})" for c in ROLLUP_SUMS)} FROM (
    SELECT f.created_day AS day, f.severity_id, f.queue_id, f.environment, 1 AS created,
        CAST(f.first_resolved_at IS NOT NULL AS integer) AS ever_resolved,
        CAST(f.reopen_count > 0 AS integer) AS reopened,
        CAST(({RESPONDED_AT} <= f.response_due_at) IS TRUE AS integer) AS response_met,
        CAST(({RESPONDED_AT} > f.response_due_at) IS TRUE AS integer) AS response_missed,
        CAST((f.resolved_at <= f.resolution_due_at) IS TRUE AS integer) AS resolution_met,
        CAST((f.resolved_at > f.resolution_due_at) IS TRUE AS integer) AS resolution_missed,
        CAST({FCR_APPLIES} AND {FIRST_CONTACT} AS integer) AS fcr,
        CAST({FCR_APPLIES} AND f.resolved_at IS NOT NULL AS integer) AS fcr_total,
        CAST(f.aws_case_opened_at IS NOT NULL AS integer) AS aws_escalated, 0 AS resolved
    FROM kpis_ticketfact f WHERE {{created}}
    UNION ALL
    SELECT f.resolved_day, f.severity_id, f.queue_id, f.environment, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
    FROM kpis_ticketfact f WHERE f.resolved_day IS NOT NULL AND {{resolved}}
) counted GROUP BY 1, 2, 3, 4"""


def _params(now: datetime, **extra) -> dict:
    return {"done": DONE, "tz": settings.TIME_ZONE, "now": now, **extra}


@transaction.atomic
def facts_rebuild(*, now: datetime | None = None) -> int:
    """Every ticket's facts from scratch, set-based: for a new install, a changed definition, or to reconcile."""
    now = now or timezone.now()
    cursor_row = _cursor_locked()
    last_event_id = _settled_event_id(now, after=0)
    with connection.cursor() as cursor:
        sql.table_empty(cursor, "kpis_ticketfact")
        cursor.execute(f"INSERT INTO kpis_ticketfact ({_FACT_COLUMNS}) {_facts_select()}", sql.params(_params(now)))
        rows = cursor.rowcount
        sql.table_empty(cursor, "kpis_dailyrollup")
        cursor.execute(_ROLLUP_INSERT.format(created="true", resolved="true"))
    cursor_row.last_event_id = max(last_event_id or 0, 0)
    cursor_row.updated_at = now
    cursor_row.save(update_fields=["last_event_id", "updated_at"])
    return rows


def facts_refresh(*, now: datetime | None = None, batch_size: int = REFRESH_BATCH) -> int:
    """Bring the facts up to date with the timeline, a batch of events per transaction; returns tickets refreshed."""
    refreshed = 0
    while True:
        tickets, more = _facts_refresh_batch(now=now or timezone.now(), batch_size=batch_size)
        refreshed += tickets
        if not more:
            return refreshed


@transaction.atomic
def _facts_refresh_batch(*, now: datetime, batch_size: int) -> tuple[int, bool]:
    cursor_row = _cursor_locked()  # concurrent refreshes wait here, then start from where this one ends
    events = list(
        TicketEvent.objects.filter(id__gt=cursor_row.last_event_id)
        .order_by("id")
        .values_list("id", "ticket_id", "created_at")[:batch_size]
    )
    if not events:
        return 0, False
    ticket_ids = sorted({ticket_id for _, ticket_id, _ in events})
    facts_refresh_tickets(ticket_ids=ticket_ids, now=now)
    settled = [event_id for event_id, _, created_at in events if created_at < now - SETTLE]
    # Only past a settled prefix: an unsettled event before a settled one holds the cursor back
    prefix = next((i for i, (_, _, created_at) in enumerate(events) if created_at >= now - SETTLE), len(events))
    if prefix:
        cursor_row.last_event_id = events[prefix - 1][0]
        cursor_row.updated_at = now
        cursor_row.save(update_fields=["last_event_id", "updated_at"])
    return len(ticket_ids), len(events) == batch_size and bool(settled)


def facts_refresh_tickets(*, ticket_ids: list[int], now: datetime) -> None:
    """Recompute these tickets' facts, then the rollup of every day they were or are counted on."""
    select = _facts_select(
        events_filter=f"AND {sql.any_of('ev.ticket_id', '%(ids)s')}",
        tickets_filter=f"WHERE {sql.any_of('t.id', '%(ids)s')}",
    )
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _FACT_COLUMNS.split(", ")[1:])
    days_of = f"SELECT created_day, resolved_day FROM kpis_ticketfact WHERE {sql.any_of('ticket_id', '%(ids)s')}"
    with connection.cursor() as cursor:
        cursor.execute(days_of, sql.params({"ids": ticket_ids}))
        before = cursor.fetchall()
        cursor.execute(
            f"INSERT INTO kpis_ticketfact ({_FACT_COLUMNS}) {select} ON CONFLICT (ticket_id) DO UPDATE SET {updates}",
            sql.params(_params(now, ids=ticket_ids)),
        )
        cursor.execute(days_of, sql.params({"ids": ticket_ids}))  # not RETURNING: SQLite before 3.35 lacks it
        days = sorted({sql.as_date(day) for row in [*before, *cursor.fetchall()] for day in row if day is not None})
    rollup_days_recount(days=days)


def rollup_days_recount(*, days: list[date]) -> None:
    """Whole days recounted from the facts: simple to get right, and a day is a few thousand facts at most."""
    in_days = {column: sql.any_of(column, "%(days)s") for column in ("day", "f.created_day", "f.resolved_day")}
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM kpis_dailyrollup WHERE {in_days['day']}", sql.params({"days": days}))
        cursor.execute(
            _ROLLUP_INSERT.format(created=in_days["f.created_day"], resolved=in_days["f.resolved_day"]),
            sql.params({"days": days}),
        )


def _cursor_locked() -> FactCursor:
    FactCursor.objects.get_or_create(pk=1)
    return FactCursor.objects.select_for_update().get(pk=1)


def _settled_event_id(now: datetime, *, after: int) -> int | None:
    settled = TicketEvent.objects.filter(id__gt=after, created_at__lt=now - SETTLE).order_by("-id")
    return settled.values_list("id", flat=True).first()


# Snapshots and targets


def _snapshots_store(*, day: date, scope_key: str, window_days: int, values: dict, now: datetime) -> None:
    rows = [
        KpiSnapshot(day=day, kpi=key, scope_key=scope_key, window_days=window_days, value=value, taken_at=now)
        for key, value in values.items()
    ]
    KpiSnapshot.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["day", "kpi", "scope_key", "window_days"],
        update_fields=["value", "taken_at"],
    )


def kpi_snapshots_take(*, day: date, now: datetime | None = None) -> int:
    """Snapshot every KPI for `day` (globally, and in each target's scope and window), then tell stakeholders of
    targets missed. Each scope is one transaction; re-running the day rewrites the same rows and sends nothing new."""
    now = now or timezone.now()
    with transaction.atomic():
        values = registry.kpi_values(KpiScope(start=day, end=day), now=now)
        _snapshots_store(day=day, scope_key="", window_days=SNAPSHOT_WINDOW, values=values, now=now)
    breaches = 0
    targets = KpiTarget.objects.filter(enabled=True).select_related("severity", "queue").order_by("pk")
    for target in targets:
        breaches += kpi_target_evaluate(target=target, day=day, now=now)
    return breaches


@transaction.atomic
def kpi_target_evaluate(*, target: KpiTarget, day: date, now: datetime) -> int:
    """Snapshot the target's scope; when its KPI misses, notify its stakeholders and channels (once per day)."""
    kpi = registry.KPIS.get(target.kpi)
    if kpi is None:
        return 0  # a KPI withdrawn since the target was set: nothing to judge
    scope = KpiScope(
        start=day - timedelta(days=target.window_days - 1),
        end=day,
        queue_id=target.queue_id,
        severity_id=target.severity_id,
        environment=target.environment,
        account=target.account,
    )
    values = registry.kpi_values(scope, now=now)
    _snapshots_store(day=day, scope_key=target.scope_key, window_days=target.window_days, values=values, now=now)
    value = values[target.kpi]
    if value is None or target.is_met(value):
        return 0
    subject = f"KPI target missed: {target} — {value.normalize():f} {kpi.unit} on {day:%d %b %Y}"
    body = (
        f"{kpi.label} was {value.normalize():f} {kpi.unit} over the {target.window_days} days to {day:%d %b %Y}; "
        f"the target is {target}.\n\n{settings.SITE_URL}/dashboard/?{scope.query_string()}"
    )
    notify_audience(
        users=target.stakeholders.all(),
        channels=target.channels.all(),
        subject=subject,
        body=body,
        key=f"kpi-target:{target.pk}:{day.isoformat()}",
    )
    return 1
