"""The trends page's figures: what tickets are about, where work waits, what keeps coming back, who is busiest.

Each section is one or two SQL aggregates over the tickets created in the scope's range (an index range on
created_at), and carries its numbers as rows: the page draws them as a chart and a table, and the CSV is the table.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db import OperationalError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from psycopg.errors import QueryCanceled

from integrations.models import Finding, FindingGroup
from supportdesk import sql
from tickets import reference
from tickets.filters import breaching_q, day_start
from tickets.models import Tag, Ticket
from tickets.selectors import tickets_visible_to

from .filters import PERIODS, KpiScope

TOP = 8  # categories, checks and tags beyond this many share one "Other" line or are left out
REPEATS_SHOWN = 20
STATUS_TIME_BUDGET_MS = 3000  # ~6 months at a million tickets; a 30-day range takes ~0.5 s
REOPENED_FROM = (Ticket.Status.RESOLVED.label, Ticket.Status.CLOSED.label)  # status events carry labels


@dataclass
class Section:
    """One figure: its table (the CSV is the same), a chart built from it, and what it suggests."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # where each row's first cell leads, if anywhere
    chart: dict | None = None
    hint: str = ""
    note: str = ""  # why there are no rows, when it is not an empty period

    @property
    def table(self) -> list[tuple[list, str]]:
        """Each row with its link ("" for none)."""
        return [(row, self.links[i] if i < len(self.links) else "") for i, row in enumerate(self.rows)]


def period_bounds(scope: KpiScope) -> tuple[datetime, datetime]:
    """The scope's days as [start, end) instants in the site's time zone."""
    return day_start(scope.start), day_start(scope.end + timedelta(days=1))


def period_shown(scope: KpiScope) -> str:
    """The period choice that gives this scope ("custom" for any other range), for the filter to show."""
    today = timezone.localdate()
    if scope.end == today:
        return next((key for key, days in PERIODS.items() if scope.days == days), "custom")
    return "custom"


def scope_tickets(*, user, scope: KpiScope) -> QuerySet[Ticket]:
    """Tickets created in the scope that the user may see, narrowed by its dimensions."""
    start, end = period_bounds(scope)
    dimensions = scope.lookups(
        queue="queue_id", severity="severity_id", environment="environment", account="aws_account_id"
    )
    return tickets_visible_to(user).filter(created_at__gte=start, created_at__lt=end, **dimensions)


def ticket_list_url(scope: KpiScope, **params: str) -> str:
    """The ticket list behind a figure: the scope's dates as the created range, its dimensions, and more."""
    query = {"status": "all", "created_from": scope.start.isoformat(), "created_to": scope.end.isoformat()}
    return "/tickets/?" + urlencode(query | scope.ticket_list_params() | params)


def _weeks(scope: KpiScope) -> list[date]:
    first = scope.start - timedelta(days=scope.start.weekday())
    return [first + timedelta(weeks=n) for n in range((scope.end - first).days // 7 + 1)]


def _weekly(counts: dict[tuple[date, str], int], scope: KpiScope) -> tuple[list[str], list[list], dict | None]:
    """Rows per week with a column per name (the top ones, then "Other"), and the matching stacked chart."""
    if not counts:
        return ["Week"], [], None
    weeks = _weeks(scope)
    totals: dict[str, int] = {}
    for (_, name), n in counts.items():
        totals[name] = totals.get(name, 0) + n
    top = sorted(totals, key=lambda name: (-totals[name], name))[:TOP]
    rest = [name for name in totals if name not in top]
    series = [*top, *(["Other"] if rest else [])]
    rows = []
    for week in weeks:
        row = [counts.get((week, name), 0) for name in top]
        if rest:
            row.append(sum(counts.get((week, name), 0) for name in rest))
        rows.append([week.isoformat(), *row])
    chart = {
        "type": "bar",
        "stacked": True,
        "labels": [w.isoformat() for w in weeks],
        "datasets": [{"label": label, "data": [row[i + 1] for row in rows]} for i, label in enumerate(series)],
    }
    return ["Week", *series], rows, chart


def categories(*, user, scope: KpiScope, now: datetime) -> Section:
    kinds = dict(Ticket.Kind.choices)
    week = TruncWeek("created_at", tzinfo=timezone.get_current_timezone())
    found = scope_tickets(user=user, scope=scope).annotate(week=week).values("week", "kind").annotate(n=Count("*"))
    counts = {(row["week"].date(), kinds.get(row["kind"], row["kind"])): row["n"] for row in found}
    columns, rows, chart = _weekly(counts, scope)
    section = Section("categories", "Ticket kinds per week", columns, rows, chart=chart)
    totals = {name: sum(row[i + 1] for row in rows) for i, name in enumerate(columns[1:])}
    total = sum(totals.values())
    if total:
        name, n = max(totals.items(), key=lambda item: item[1])
        section.hint = (
            f"{name} tickets make up {n * 100 // total}% of the {total}: templates, self-service or automation for "
            "them would take the most load off the desk."
        )
    return section


def tags(*, user, scope: KpiScope, now: datetime) -> Section:
    tickets = scope_tickets(user=user, scope=scope).values("pk")
    top = (
        Tag.tickets.through.objects.filter(ticket_id__in=tickets)
        .values("tag__name")
        .annotate(n=Count("*"))
        .order_by("-n", "tag__name")[: TOP * 2]
    )
    rows = [[row["tag__name"], row["n"]] for row in top]
    section = Section("tags", "Most frequent tags", ["Tag", "Tickets"], rows)
    if rows:
        section.chart = {
            "type": "bar",
            "horizontal": True,
            "labels": [r[0] for r in rows],
            "datasets": [{"label": "Tickets", "data": [r[1] for r in rows]}],
        }
        section.hint = f"“{rows[0][0]}” is the most common tag ({rows[0][1]} tickets): a known-issue article or a fix "
        section.hint += "at its source is worth a look."
    return section


def scope_findings(scope: KpiScope, *, user) -> QuerySet[Finding]:
    """Trusted Advisor findings of the scope's accounts; queue and severity are those of the finding's ticket."""
    findings = Finding.objects.all()
    if not user.has_perm("tickets.view_all_tickets"):  # names and resources of tickets they may not open
        findings = findings.filter(group__ticket__in=tickets_visible_to(user))
    return findings.filter(
        **scope.lookups(
            queue="group__ticket__queue_id",
            severity="group__ticket__severity_id",
            environment="account__environment",
            account="account__account_id",
        )
    )


def checks(*, user, scope: KpiScope, now: datetime) -> Section:
    start, end = period_bounds(scope)
    week = TruncWeek("first_seen_at", tzinfo=timezone.get_current_timezone())
    found = (
        scope_findings(scope, user=user)
        .filter(first_seen_at__gte=start, first_seen_at__lt=end)
        .annotate(week=week)
        .values("week", "ta_check__name")
        .annotate(n=Count("*"))
    )
    counts = {(row["week"].date(), row["ta_check__name"]): row["n"] for row in found}
    columns, rows, chart = _weekly(counts, scope)
    section = Section("checks", "Trusted Advisor checks flagging resources, per week", columns, rows, chart=chart)
    if counts:
        totals = {name: sum(row[i + 1] for row in rows) for i, name in enumerate(columns[1:]) if name != "Other"}
        name, n = max(totals.items(), key=lambda item: item[1])
        section.hint = (
            f"“{name}” flagged {n} new resources: a guard rail (a policy, a template default, a tag rule) stops "
            "them at creation instead of ticketing each."
        )
    return section


# A stay in a status runs from the event that entered it to the next status event (or now, if it still holds).
# On PostgreSQL, LATERAL reads each ticket's few events through its (ticket, id) index: a 30-day range at a million
# tickets is 40,000 short index scans (~0.4 s), where a plain join hashes all five million events (~1.3 s).
_STAY_EVENTS = """
    SELECT CASE WHEN e.kind = 'created' THEN {created_in} ELSE {moved_to} END AS status,
           e.created_at AS entered_at,
           LEAD(e.created_at) OVER ({partition}ORDER BY e.created_at, e.id) AS left_at
    FROM tickets_ticketevent e
    WHERE {tickets} AND e.kind IN ('created', 'status_changed')"""


def _stays_sql(*, tickets: str, names: str, open_statuses: str) -> str:
    entered = {"created_in": sql.json_text("e.data", "status"), "moved_to": sql.json_text("e.data", "after")}
    if sql.sqlite():  # no LATERAL: one pass over the scope's events, partitioned by ticket
        events = _STAY_EVENTS.format(
            partition="PARTITION BY e.ticket_id ", tickets=f"e.ticket_id IN ({tickets})", **entered
        )
        stays_from = f"({events}) AS raw"
    else:
        events = _STAY_EVENTS.format(partition="", tickets="e.ticket_id = scoped.id", **entered)
        stays_from = f"({tickets}) AS scoped CROSS JOIN LATERAL ({events}) AS raw"
    hours = sql.seconds_between("COALESCE(raw.left_at, %s)", "raw.entered_at")
    return f"""
WITH stays AS (
    SELECT CASE raw.status {names} ELSE raw.status END AS status, {hours} / 3600.0 AS hours FROM {stays_from}
)
SELECT status, COUNT(*), SUM(hours), {sql.median("hours")} FROM stays WHERE status IN ({open_statuses}) GROUP BY status
"""


def status_time(*, user, scope: KpiScope, now: datetime) -> Section:
    tickets_sql, tickets_params = scope_tickets(user=user, scope=scope).values("id").query.sql_with_params()
    labels = [(str(label), str(value)) for value, label in Ticket.Status.choices]  # status events carry labels
    open_statuses = [str(status) for status in Ticket.OPEN_STATUSES]
    query = _stays_sql(
        tickets=tickets_sql,
        names=" ".join(["WHEN %s THEN %s"] * len(labels)),
        open_statuses=", ".join(["%s"] * len(open_statuses)),
    )
    params = [*(x for pair in labels for x in pair), now, *tickets_params, *open_statuses]
    section = Section("status-time", "Time spent per status", ["Status", "Stays", "Total hours", "Median hours"])
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if not sql.sqlite():
                # The per-ticket sorts' cost switches JIT on, which costs more (~150 ms) than it saves; the median's
                # sort of ~120,000 stays (30 days at a million tickets) spills to disk at the default 4 MB. A range
                # of many months reads millions of events: it stops at the budget rather than hold the page.
                budget = f"SET LOCAL statement_timeout = {STATUS_TIME_BUDGET_MS}"
                cursor.execute(f"SET LOCAL jit = off; SET LOCAL work_mem = '32MB'; {budget}")
            cursor.execute(query, sql.params(params))
            found = {status: (n, total, median) for status, n, total, median in cursor.fetchall()}
    except OperationalError as exc:
        if not isinstance(exc.__cause__, QueryCanceled):
            raise
        section.note = "Too many tickets in this range to time every status: pick a shorter range, or a queue."
        return section
    names = dict(Ticket.Status.choices)
    rows = [
        [names[status], found[status][0], round(found[status][1], 1), round(found[status][2], 1)]
        for status in Ticket.OPEN_STATUSES
        if status in found
    ]
    section.rows = rows
    if rows:
        section.chart = {
            "type": "bar",
            "labels": [r[0] for r in rows],
            "datasets": [
                {"label": "Total hours", "data": [r[2] for r in rows]},
                {"label": "Median hours", "data": [r[3] for r in rows]},
            ],
        }
        worst = max(rows, key=lambda r: r[2])
        section.hint = f"Most time is spent in “{worst[0]}” ({worst[2]:,} hours in total, median {worst[3]} h). "
        section.hint += {
            "Waiting on requester": "Clearer request forms and reminders would get answers sooner.",
            "Waiting on AWS": "Opening AWS cases earlier, at the right severity, would shorten the wait.",
            "New": "Tickets wait to be picked up: triage rules or on-call coverage would help.",
        }.get(worst[0], "That is where the workflow has most room to improve.")
    return section


def repeats(*, user, scope: KpiScope, now: datetime) -> Section:
    """Resources that came back: Trusted Advisor findings whose ticket reopened, Health resources hit again."""
    start, end = period_bounds(scope)
    reopened = Count(
        "ticket__events",
        filter=Q(
            ticket__events__kind="status_changed",
            ticket__events__data__before__in=REOPENED_FROM,
            ticket__events__created_at__gte=start,
            ticket__events__created_at__lt=end,
        ),
    )
    groups = FindingGroup.objects.filter(pk__in=scope_findings(scope, user=user).values("group_id"))
    back = (
        groups.annotate(times=reopened)
        .filter(times__gt=0)
        .values("ticket_id", "times", "resource_key", "ta_check__name", "account__name", "account__account_id")
        .order_by("-times", "ticket_id")[:REPEATS_SHOWN]
    )
    rows, links = [], []
    for group in back:
        what = "one resource" if group["resource_key"] else "any resource of the check"
        rows.append(["Trusted Advisor", group["account__name"], group["ta_check__name"], what, group["times"] + 1, 1])
        links.append(f"/tickets/{_ref(group['ticket_id'])}/")
    for event in _health_repeats(scope, start, end, user=user):
        rows.append(["AWS Health", event[1], event[2], event[0], event[3], event[4]])
        links.append(ticket_list_url(scope, kind=Ticket.Kind.AWS_HEALTH, account=event[5]))
    columns = ["Source", "Account", "Check or service", "Resource", "Occurrences", "Tickets"]
    section = Section("repeats", "Repeat incidents on the same resource", columns, rows, links=links)
    if rows:
        section.hint = (
            f"{len(rows)} resources came back in this period. Each repeat is a fix that did not hold: a problem "
            "ticket for the root cause beats closing the same incident again."
        )
    return section


_HEALTH_REPEATS_SQL = """
SELECT {resource}, a.name, h.service, COUNT(DISTINCT h.id), COUNT(DISTINCT h.ticket_id), a.account_id
FROM integrations_healthevent h
JOIN integrations_awsaccount a ON a.id = h.account_id
CROSS JOIN {entities}
WHERE COALESCE(h.start_time, h.last_updated_at) >= %s AND COALESCE(h.start_time, h.last_updated_at) < %s
  AND COALESCE({resource}, '') <> '' {more}
GROUP BY 1, 2, 3, 6 HAVING COUNT(DISTINCT h.id) > 1
ORDER BY 4 DESC, 1 LIMIT %s
"""


def _health_repeats(scope: KpiScope, start: datetime, end: datetime, *, user) -> list[tuple]:
    more = ""
    params: list[Any] = [start, end]
    if not user.has_perm("tickets.view_all_tickets"):
        visible, visible_params = tickets_visible_to(user).values("pk").query.sql_with_params()
        more, params = f" AND h.ticket_id IN ({visible})", [*params, *visible_params]
    if scope.account:
        more, params = more + " AND a.account_id = %s", [*params, scope.account]
    if scope.environment:
        more, params = more + " AND a.environment = %s", [*params, scope.environment]
    query = _HEALTH_REPEATS_SQL.format(
        more=more,
        entities=sql.json_object_elements("h.entities", "entity"),
        resource=sql.json_element_text("entity", "value"),
    )
    return sql.fetch(query, [*params, REPEATS_SHOWN])


def _ref(ticket_id: int) -> str:
    return Ticket(pk=ticket_id).reference


def busiest_queues(*, user, scope: KpiScope, now: datetime) -> Section:
    open_now = Q(status__in=Ticket.OPEN_STATUSES)
    breaching = breaching_q(now)
    found = (
        scope_tickets(user=user, scope=scope)
        .values("queue_id")
        .annotate(created=Count("*"), still_open=Count("pk", filter=open_now), breaching=Count("pk", filter=breaching))
        .order_by("-created", "queue_id")
    )
    queues = {q.pk: q for q in reference.queues()}
    rows, links = [], []
    for row in found:
        queue = queues.get(row["queue_id"])
        if queue is None:
            continue
        rows.append([queue.name, row["created"], row["still_open"], row["breaching"]])
        links.append(ticket_list_url(scope, queue=queue.slug))
    columns = ["Queue", "Created", "Still open", "Breaching SLA"]
    section = Section("queues", "Busiest queues", columns, rows, links=links)
    if rows:
        section.chart = {
            "type": "bar",
            "labels": [r[0] for r in rows[: TOP * 2]],
            "datasets": [
                {"label": "Created", "data": [r[1] for r in rows[: TOP * 2]]},
                {"label": "Still open", "data": [r[2] for r in rows[: TOP * 2]]},
            ],
        }
        total = sum(r[1] for r in rows)
        section.hint = f"{rows[0][0]} took {rows[0][1] * 100 // total}% of the tickets"
        section.hint += f", {rows[0][3]} of them breaching now. " if rows[0][3] else ". "
        section.hint += "Balance its staffing or routing against the quieter queues."
    return section


SECTIONS: dict[str, Callable[..., Section]] = {
    "categories": categories,
    "tags": tags,
    "checks": checks,
    "status-time": status_time,
    "repeats": repeats,
    "queues": busiest_queues,
}


def trends(*, user, scope: KpiScope, now: datetime | None = None) -> list[Section]:
    now = now or timezone.now()
    return [build(user=user, scope=scope, now=now) for build in SECTIONS.values()]
