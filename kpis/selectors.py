"""Reads: every KPI figure is one SQL aggregate over the ticket facts (or the AWS tables), filtered by a KpiScope.

The WHERE clauses and the SLA/first-contact definitions are written once here, as SQL, and shared by the
aggregates and by the drill-down lists, so a bar and the tickets behind it cannot disagree.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber

from integrations.models import AwsAccount, PollRun, Source
from supportdesk import sql
from supportdesk.keyset import Page, keyset_page
from tickets.models import Ticket
from tickets.selectors import ticket_list

from .filters import KpiScope
from .models import KpiSnapshot, KpiTarget

BUCKETS_PER_DOUBLING = 4  # a duration's bucket is floor(4·log2(seconds)): each bucket spans ±9% around its middle
FILEABLE_KINDS = tuple(str(k) for k in Ticket.FILEABLE_KINDS)  # first-contact resolution applies to these only
AGE_BANDS = [
    ("lt1d", "Under a day", 0, 1),
    ("1-3d", "1 to 3 days", 1, 3),
    ("3-7d", "3 to 7 days", 3, 7),
    ("7-30d", "7 to 30 days", 7, 30),
    ("gt30d", "Over 30 days", 30, None),
]
AGE_BAND_KEYS = [band[0] for band in AGE_BANDS]

# Due times are those the SLA clocks left on the ticket, moved later by its pauses. A ticket still waiting is judged
# at the moment its clocks paused, if they are paused (%s: now): nothing falls due while it waits.
CLOCK_AT = "coalesce(f.sla_paused_since, %s)"
# Response: acknowledged (or, failing that, resolved) by the due time; still waiting past it is a miss.
RESPONDED_AT = "coalesce(f.acknowledged_at, f.first_resolved_at)"
RESPONSE_MET = f"""CASE WHEN {RESPONDED_AT} IS NOT NULL THEN {RESPONDED_AT} <= f.response_due_at
    WHEN f.response_due_at < {CLOCK_AT} THEN false END"""
# Resolution: the last resolution by the due time (a reopened ticket is judged by when it was really done).
RESOLUTION_MET = f"""CASE WHEN f.resolved_at IS NOT NULL THEN f.resolved_at <= f.resolution_due_at
    WHEN f.resolution_due_at < {CLOCK_AT} THEN false END"""
FIRST_CONTACT = "(f.resolved_at IS NOT NULL AND f.reopen_count = 0 AND f.agent_replies <= 1)"
FCR_APPLIES = f"f.kind IN ({', '.join(repr(k) for k in FILEABLE_KINDS)})"
# Longer ranges read percentiles from one ticket in eight (a partial index holds them: migration 0003)
SAMPLE_AFTER_DAYS, SAMPLE = 92, "f.ticket_id %% 8 = 0"  # %% : a literal % among placeholders
SAMPLE_ENOUGH = 400  # acknowledged tickets in a sample; fewer, and the whole range is read
PERIOD = "CAST({day} < %s AS integer)"  # 0: the scope's period, 1: the one before


def _case_seconds_median() -> str:
    return sql.median(sql.seconds_between("f.aws_case_resolved_at", "f.aws_case_opened_at"))


def site_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _dimensions(scope: KpiScope) -> tuple[list[str], list]:
    clauses, params = [], []
    for column, value in (
        ("f.queue_id", scope.queue_id),
        ("f.severity_id", scope.severity_id),
        ("f.environment", scope.environment),
        ("f.account", scope.account),
    ):
        if value:
            clauses.append(f"{column} = %s")
            params.append(value)
    return clauses, params


def _where(scope: KpiScope, *extra: str, day: str = "f.created_day", start: date | None = None) -> tuple[str, list]:
    clauses, params = _dimensions(scope)
    clauses = [f"{day} BETWEEN %s AND %s", *clauses, *extra]
    return " AND ".join(clauses), [start or scope.start, scope.end, *params]


# Percentiles from histograms


def bucket_seconds(bucket: int) -> float:
    """The middle of a bucket (geometric), in seconds."""
    return 2 ** ((bucket + 0.5) / BUCKETS_PER_DOUBLING)


def percentile(histogram: dict[int, int], fraction: float) -> float | None:
    """The approximate percentile, in seconds, of durations counted by bucket; None when there are none."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = math.ceil(fraction * total), 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket_seconds(bucket)
    return None  # pragma: no cover


@dataclass
class Durations:
    """MTTA and MTTR histograms, from which the median and p90 are read."""

    mtta: dict[int, int]
    mttr: dict[int, int]

    def seconds(self, measure: str, fraction: float) -> float | None:
        return percentile(getattr(self, measure), fraction)


def _durations_by(scope: KpiScope, group: str, group_params: tuple = (), start: date | None = None) -> dict:
    """{group value: Durations}: one scan, a GROUP BY on the buckets (no sort, whatever the range).

    Over a long range, one ticket in eight is read first; a sample too small to say anything (a quiet queue, SEV1
    only) is replaced by a full read, which is quick for so few tickets."""
    if not scope.account and (scope.end - (start or scope.start)).days >= SAMPLE_AFTER_DAYS:
        sampled = _durations_read(scope, group, group_params, start, sampled=True)
        if sum(n for d in sampled.values() for n in d.mtta.values()) >= SAMPLE_ENOUGH:
            return sampled
    return _durations_read(scope, group, group_params, start, sampled=False)


def _durations_read(scope: KpiScope, group: str, group_params: tuple, start: date | None, *, sampled: bool) -> dict:
    where, params = _where(scope, *([SAMPLE] if sampled else []), start=start)
    facts = f"SELECT {group} AS g, f.mtta_bucket AS a, f.mttr_bucket AS r FROM kpis_ticketfact f WHERE {where}"
    if sql.sqlite():  # no grouping sets: the facts are read twice, which the demo's few thousand allow
        query = f"""SELECT g, 0, a, count(*) FROM ({facts}) facts GROUP BY g, a
            UNION ALL SELECT g, 1, r, count(*) FROM ({facts}) facts GROUP BY g, r"""
        params = [*group_params, *params, *group_params, *params]
    else:
        query = f"""SELECT g, GROUPING(a) AS is_mttr, coalesce(a, r), count(*) FROM ({facts}) facts
            GROUP BY GROUPING SETS ((g, a), (g, r))"""
        params = [*group_params, *params]
    rows = sql.fetch(query, params)
    out: dict = defaultdict(lambda: Durations({}, {}))
    for g, is_mttr, bucket, count in rows:
        if bucket is not None:
            getattr(out[g], "mttr" if is_mttr else "mtta")[bucket] = count
    return out


# The ticket measures behind the headline numbers and the targets


def ticket_measures(scope: KpiScope, *, now: datetime, with_previous: bool = False) -> list[dict]:
    """The ticket KPIs of the scope (and of the period before it), in a handful of queries whatever the range.

    Tickets are counted in the period they were created in, except "resolved" (the day of the last
    resolution) and the backlog (open at the period's end). Without an account filter the counts come from the
    daily rollup; with one, from the facts (an account's tickets are few, and the rollup has no account).
    """
    periods = [scope, scope.previous()] if with_previous else [scope]
    lo = periods[-1].start
    if scope.account:
        counts = _counts_from_facts(scope, lo, now)
        for figures, backlog in zip(counts, backlog_counts(scope, ends=[p.end for p in periods]), strict=True):
            figures["backlog"] = backlog
    else:
        counts = _counts_from_rollup(scope, periods, now)
    durations = _durations_by(scope, PERIOD.format(day="f.created_day"), (scope.start,), start=lo)
    for p, figures in enumerate(counts):
        d = durations.get(p, Durations({}, {}))
        figures |= {
            "mtta_p50": d.seconds("mtta", 0.5),
            "mtta_p90": d.seconds("mtta", 0.9),
            "mttr_p50": d.seconds("mttr", 0.5),
            "mttr_p90": d.seconds("mttr", 0.9),
        }
    return counts


COUNTS = [
    "created",
    "ever_resolved",
    "reopened",
    "response_met",
    "response_total",
    "resolution_met",
    "resolution_total",
    "fcr",
    "fcr_total",
    "aws_escalated",
    "aws_case_seconds",
    "resolved",
]
EMPTY_COUNTS = dict.fromkeys(COUNTS, 0) | {"aws_case_seconds": None}


def _counts_from_facts(scope: KpiScope, lo: date, now: datetime) -> list[dict]:
    where, params = _where(scope, start=lo)
    rows = sql.fetch(
        f"""SELECT {PERIOD.format(day="f.created_day")} AS p, count(*),
            count(*) FILTER (WHERE f.first_resolved_at IS NOT NULL),
            count(*) FILTER (WHERE f.reopen_count > 0),
            count(*) FILTER (WHERE ({RESPONSE_MET})), count(({RESPONSE_MET})),
            count(*) FILTER (WHERE ({RESOLUTION_MET})), count(({RESOLUTION_MET})),
            count(*) FILTER (WHERE {FCR_APPLIES} AND {FIRST_CONTACT}),
            count(*) FILTER (WHERE {FCR_APPLIES} AND f.resolved_at IS NOT NULL),
            count(f.aws_case_opened_at),
            {_case_seconds_median()} FILTER (WHERE f.aws_case_resolved_at IS NOT NULL)
        FROM kpis_ticketfact f WHERE {where} GROUP BY 1""",
        [scope.start, now, now, now, now, *params],
    )
    out = {p: dict(zip(COUNTS, [*values, 0], strict=True)) for p, *values in rows}
    resolved_where, resolved_params = _where(scope, day="f.resolved_day", start=lo)
    resolved = sql.fetch(
        f"SELECT {PERIOD.format(day='f.resolved_day')}, count(*) FROM kpis_ticketfact f WHERE {resolved_where} "
        "GROUP BY 1",
        [scope.start, *resolved_params],
    )
    for p, count in resolved:
        out.setdefault(p, dict(EMPTY_COUNTS))["resolved"] = count
    return [out.get(p, dict(EMPTY_COUNTS)) for p in range(2 if lo < scope.start else 1)]


def _rollup_where(scope: KpiScope, *, start: date | None = None) -> tuple[str, list]:
    clauses, params = _dimensions(scope)
    return " AND ".join(["r.day BETWEEN %s AND %s", *(c.replace("f.", "r.") for c in clauses)]), [
        start or scope.start,
        scope.end,
        *params,
    ]


def _pending_misses(scope: KpiScope, group: str, group_params: list, lo: date, now: datetime) -> dict:
    """{group: (response misses, resolution misses)} of tickets still waiting past their due time, read from the
    open-tickets index: what the rollup cannot hold, since the clock decides them."""
    where, params = _where(scope, "f.resolved_at IS NULL", start=lo)
    rows = sql.fetch(
        f"""SELECT {group}, count(*) FILTER (WHERE {RESPONDED_AT} IS NULL AND f.response_due_at < {CLOCK_AT}),
            count(*) FILTER (WHERE f.resolution_due_at < {CLOCK_AT})
        FROM kpis_ticketfact f WHERE {where} GROUP BY 1""",
        [*group_params, now, now, *params],
    )
    return {g: (response, resolution) for g, response, resolution in rows}


ROLLUP_SUMS = [  # the daily rollup's counts: services writes them, the headline sums them
    "created",
    "ever_resolved",
    "reopened",
    "response_met",
    "response_missed",
    "resolution_met",
    "resolution_missed",
    "fcr",
    "fcr_total",
    "aws_escalated",
    "resolved",
]


def _counts_from_rollup(scope: KpiScope, periods: list[KpiScope], now: datetime) -> list[dict]:
    """One scan of the rollup up to the scope's end: each period's sums, and the backlog at each period's end
    (filed by then less resolved by then)."""
    # Each row is in one of the periods (0: the scope's, 1: the one before) or before them all; the backlog at a
    # period's end sums filed less resolved over that period and everything earlier.
    bucket = (
        "CASE " + " ".join("WHEN r.day >= %s THEN " + str(p) for p in range(len(periods))) + f" ELSE {len(periods)} END"
    )
    where, where_params = _rollup_where(scope, start=date.min)
    rows = sql.fetch(
        f"SELECT {bucket}, {', '.join(f'sum({c})' for c in ROLLUP_SUMS)} FROM kpis_dailyrollup r WHERE {where} "
        "GROUP BY 1",
        [period.start for period in periods] + where_params,
    )
    by_bucket = {p: dict(zip(ROLLUP_SUMS, values, strict=True)) for p, *values in rows}
    empty = dict.fromkeys(ROLLUP_SUMS, 0)
    net = [by_bucket.get(p, empty)["created"] - by_bucket.get(p, empty)["resolved"] for p in range(len(periods) + 1)]
    lo = periods[-1].start
    pending = _pending_misses(scope, PERIOD.format(day="f.created_day"), [scope.start], lo, now)
    # opened_at too: the partial index on AWS cases is on it
    case_where, case_params = _where(
        scope, "f.aws_case_opened_at IS NOT NULL", "f.aws_case_resolved_at IS NOT NULL", start=lo
    )
    cases = dict(
        sql.fetch(
            f"""SELECT {PERIOD.format(day="f.created_day")}, {_case_seconds_median()}
        FROM kpis_ticketfact f WHERE {case_where} GROUP BY 1""",
            [scope.start, *case_params],
        )
    )
    out = []
    for p in range(len(periods)):
        sums = by_bucket.get(p, empty)
        late_response, late_resolution = pending.get(p, (0, 0))
        out.append(
            {
                **{
                    k: sums[k]
                    for k in (
                        "created",
                        "ever_resolved",
                        "reopened",
                        "response_met",
                        "resolution_met",
                        "fcr",
                        "fcr_total",
                        "aws_escalated",
                        "resolved",
                    )
                },
                "response_total": sums["response_met"] + sums["response_missed"] + late_response,
                "resolution_total": sums["resolution_met"] + sums["resolution_missed"] + late_resolution,
                "aws_case_seconds": cases.get(p),
                "backlog": sum(net[p:]),
            }
        )
    return out


def _open_at(end: date) -> tuple[str, list]:
    """Filed by the end of `end` and not resolved (for the last time) by then."""
    cutoff = site_midnight(end + timedelta(days=1))
    return "(f.created_at < %s AND (f.resolved_at IS NULL OR f.resolved_at >= %s))", [cutoff, cutoff]


def _open_where(scope: KpiScope, earliest_end: date) -> tuple[str, list]:
    # The index-friendly superset: still open (a partial index) or resolved since the earliest end
    dims, params = _dimensions(scope)
    clauses = ["f.created_day <= %s", "(f.resolved_at IS NULL OR f.resolved_day >= %s)", *dims]
    return " AND ".join(clauses), [scope.end, earliest_end, *params]


def backlog_counts(scope: KpiScope, *, ends: list[date]) -> list[int]:
    """Open at the end of each of these days, from the facts (the rollup path counts it in _counts_from_rollup)."""
    filters, params = [], []
    for end in ends:
        open_then, open_params = _open_at(end)
        filters.append(f"count(*) FILTER (WHERE {open_then})")
        params += open_params
    where, where_params = _open_where(scope, min(ends))
    rows = sql.fetch(f"SELECT {', '.join(filters)} FROM kpis_ticketfact f WHERE {where}", params + where_params)
    return list(rows[0])


def backlog_by_severity_and_age(scope: KpiScope) -> dict[tuple[int, str], int]:
    """{(severity id, age band key): open tickets} at the end of the scope."""
    cutoff = site_midnight(scope.end + timedelta(days=1))
    dims, dim_params = _dimensions(scope)
    where = " AND ".join(["f.created_day <= %s", "f.created_at < %s", *dims])
    band = (
        "CASE "
        + " ".join(f"WHEN day > %s THEN '{key}'" for key, _, low, _high in AGE_BANDS[:-1])
        + f" ELSE '{AGE_BANDS[-1][0]}' END"
    )
    band_params = [
        scope.end - timedelta(days=cast(int, high)) for _key, _, _low, high in AGE_BANDS[:-1]
    ]  # the last is open
    # Two index scans rather than one OR: the open tickets from their covering index, and those resolved since
    rows = sql.fetch(
        f"""SELECT severity_id, {band}, count(*) FROM (
            SELECT f.severity_id, f.created_day AS day FROM kpis_ticketfact f WHERE f.resolved_at IS NULL AND {where}
            UNION ALL SELECT f.severity_id, f.created_day FROM kpis_ticketfact f
            WHERE f.resolved_day >= %s AND f.resolved_at >= %s AND {where}
        ) open_then GROUP BY 1, 2""",
        [*band_params, scope.end, cutoff, *dim_params, scope.end, cutoff, scope.end, cutoff, *dim_params],
    )
    return {(severity, band_key): count for severity, band_key, count in rows}


def flow_by_day(scope: KpiScope) -> dict[date, tuple[int, int]]:
    """{day: (created, resolved)} over the scope."""
    if not scope.account:
        where, params = _rollup_where(scope)
        rows = sql.fetch(
            f"SELECT r.day, sum(created), sum(resolved) FROM kpis_dailyrollup r WHERE {where} GROUP BY 1", params
        )
        return {sql.as_date(day): (created, resolved) for day, created, resolved in rows}
    created_where, created_params = _where(scope)
    resolved_where, resolved_params = _where(scope, day="f.resolved_day")
    rows = sql.fetch(
        f"""SELECT f.created_day, 0, count(*) FROM kpis_ticketfact f WHERE {created_where} GROUP BY 1
        UNION ALL SELECT f.resolved_day, 1, count(*) FROM kpis_ticketfact f WHERE {resolved_where} GROUP BY 1""",
        created_params + resolved_params,
    )
    out: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for day, which, count in rows:
        out[sql.as_date(day)][which] = count
    return {day: (c, r) for day, (c, r) in out.items()}


def sla_by_severity(scope: KpiScope, *, now: datetime) -> dict[int, tuple[int, int, int, int]]:
    """{severity id: (response met, response judged, resolution met, resolution judged)}."""
    if not scope.account:
        where, params = _rollup_where(scope)
        rows = sql.fetch(
            f"""SELECT r.severity_id, sum(response_met), sum(response_missed), sum(resolution_met),
                sum(resolution_missed) FROM kpis_dailyrollup r WHERE {where} GROUP BY 1""",
            params,
        )
        pending = _pending_misses(scope, "f.severity_id", [], scope.start, now)
        out = {}
        for severity, r_met, r_missed, s_met, s_missed in rows:
            late_response, late_resolution = pending.get(severity, (0, 0))
            out[severity] = (r_met, r_met + r_missed + late_response, s_met, s_met + s_missed + late_resolution)
        return out
    where, params = _where(scope)
    rows = sql.fetch(
        f"""SELECT f.severity_id, count(*) FILTER (WHERE ({RESPONSE_MET})), count(({RESPONSE_MET})),
            count(*) FILTER (WHERE ({RESOLUTION_MET})), count(({RESOLUTION_MET}))
        FROM kpis_ticketfact f WHERE {where} GROUP BY 1""",
        [now, now, now, now, *params],
    )
    return {severity: tuple(values) for severity, *values in rows}


DURATION_GROUPS = {"severity": "f.severity_id", "queue": "f.queue_id", "kind": "f.kind"}


def durations_by(scope: KpiScope, dimension: str) -> dict:
    return _durations_by(scope, DURATION_GROUPS[dimension])


# Drill-downs: the tickets behind a figure


DRILL_SETS = {
    "created": "Created in the period",
    "resolved": "Resolved in the period (last resolution)",
    "open": "Open at the end of the period",
    "reopened": "Reopened at least once",
    "response_missed": "Response SLA missed",
    "resolution_missed": "Resolution SLA missed",
    "first_contact": "Resolved at first contact",
    "not_first_contact": "Resolved, but not at first contact",
    "aws_escalated": "Escalated to AWS Support",
}


def drill_ticket_ids(
    scope: KpiScope, *, name: str, now: datetime, day: date | None = None, kind: str = "", band: str = ""
) -> RawSQL:
    """The ids of the tickets behind a figure, as a subquery for `pk__in`."""
    extra: list[str] = []
    extra_params: list[Any] = []
    if day is not None:
        extra.append("f.resolved_day = %s" if name == "resolved" else "f.created_day = %s")
        extra_params.append(day)
    if kind:
        extra.append("f.kind = %s")
        extra_params.append(kind)
    if name == "open":
        open_sql, open_params = _open_at(scope.end)
        where, params = _open_where(scope, scope.end)
        where, params = f"{where} AND {open_sql}", params + open_params
        if band:
            _key, _label, low, high = next(b for b in AGE_BANDS if b[0] == band)
            where += " AND f.created_day <= %s" + (" AND f.created_day > %s" if high else "")
            params += [scope.end - timedelta(days=low)] + ([scope.end - timedelta(days=high)] if high else [])
        return RawSQL(f"SELECT f.ticket_id FROM kpis_ticketfact f WHERE {where}", sql.params(params))
    condition, condition_params = {
        "created": ("true", []),
        "resolved": ("true", []),
        "reopened": ("f.reopen_count > 0", []),
        "response_missed": (f"({RESPONSE_MET}) IS FALSE", [now]),
        "resolution_missed": (f"({RESOLUTION_MET}) IS FALSE", [now]),
        "first_contact": (f"{FCR_APPLIES} AND {FIRST_CONTACT}", []),
        "not_first_contact": (f"{FCR_APPLIES} AND f.resolved_at IS NOT NULL AND NOT {FIRST_CONTACT}", []),
        "aws_escalated": ("f.aws_case_opened_at IS NOT NULL", []),
    }[name]
    where, params = _where(scope, day="f.resolved_day" if name == "resolved" else "f.created_day")
    query = f"SELECT f.ticket_id FROM kpis_ticketfact f WHERE {where} AND {' AND '.join([condition, *extra])}"
    return RawSQL(query, sql.params(params + condition_params + extra_params))


# AWS: Trusted Advisor, savings, Health, accounts


def _aws_where(scope: KpiScope, *, ticket: str = "t", account: str = "a") -> tuple[str, list]:
    """The scope's dimensions on the AWS tables: the account's id and environment, the ticket's queue and severity."""
    clauses, params = ["true"], []
    for column, value in (
        (f"{ticket}.queue_id", scope.queue_id),
        (f"{ticket}.severity_id", scope.severity_id),
        (f"{account}.environment", scope.environment),
        (f"{account}.account_id", scope.account),
    ):
        if value:
            clauses.append(f"{column} = %s")
            params.append(value)
    return " AND ".join(clauses), params


def _findings(scope: KpiScope, *, check: bool = False, group: bool = False) -> tuple[str, str, list]:
    """FROM, WHERE and parameters for the findings of the scope. The account's dimensions and the ticket's (queue,
    severity) are semi-joins: each account and each group's ticket is read once, not once per finding, which at
    200,000 findings is the difference between 20 and 300 ms. The check and the group join in only on request."""
    tables = ["integrations_finding fi"]
    if group:
        tables.append("JOIN integrations_findinggroup g ON g.id = fi.group_id")
    if check:
        tables.append("JOIN integrations_trustedadvisorcheck c ON c.id = fi.ta_check_id")
    clauses = ["true"]
    params: list[Any] = []
    accounts = [
        (column, value)
        for column, value in (("environment", scope.environment), ("account_id", scope.account))
        if value
    ]
    if accounts:
        clauses.append(
            "fi.account_id IN (SELECT id FROM integrations_awsaccount WHERE "
            + " AND ".join(f"{column} = %s" for column, _ in accounts)
            + ")"
        )
        params += [value for _, value in accounts]
    tickets = [
        (column, value)
        for column, value in (("t.queue_id", scope.queue_id), ("t.severity_id", scope.severity_id))
        if value
    ]
    if tickets:
        groups = "SELECT gt.id FROM integrations_findinggroup gt JOIN tickets_ticket t ON t.id = gt.ticket_id WHERE "
        groups += " AND ".join(f"{column} = %s" for column, _ in tickets)
        clauses.append(f"fi.group_id IN ({sql.planned_apart(groups)})")
        params += [value for _, value in tickets]
    return " ".join(tables), " AND ".join(clauses), params


def findings_open_by_category(scope: KpiScope) -> list[tuple[str, int, Decimal]]:
    """[(category, open findings, their estimated monthly savings)]: the state now, whatever the dates."""
    tables, where, params = _findings(scope, check=True)
    rows = sql.fetch(
        f"""SELECT c.category, count(*), sum(fi.estimated_monthly_savings) FROM {tables}
        WHERE fi.is_open AND {where} GROUP BY 1 ORDER BY 2 DESC, 1""",
        params,
    )
    return [(category, count, sql.as_money(savings)) for category, count, savings in rows]


def noisy_checks(scope: KpiScope, *, limit: int = 10) -> list[tuple[str, str, int]]:
    """[(check id, name, findings flagged in the period)], most first: the checks that raise the most."""
    tables, where, params = _findings(scope, check=True)
    return sql.fetch(
        f"""SELECT c.check_id, c.name, count(*) FROM {tables}
        WHERE fi.first_seen_at >= %s AND fi.first_seen_at < %s AND {where}
        GROUP BY 1, 2 ORDER BY 3 DESC, 2 LIMIT %s""",
        [site_midnight(scope.start), site_midnight(scope.end + timedelta(days=1)), *params, limit],
    )


def savings_by_month(scope: KpiScope) -> dict[date, tuple[Decimal, Decimal]]:
    """{month: (estimated monthly savings found, realised)}: flagged in the period, and resolved in it."""
    tables, where, params = _findings(scope)
    start, end = site_midnight(scope.start), site_midnight(scope.end + timedelta(days=1))
    rows = sql.fetch(
        f"""SELECT {sql.local_month("fi.first_seen_at")}, 0, sum(fi.estimated_monthly_savings) FROM {tables}
            WHERE fi.first_seen_at >= %s AND fi.first_seen_at < %s AND {where} GROUP BY 1
        UNION ALL SELECT {sql.local_month("fi.resolved_at")}, 1, sum(fi.estimated_monthly_savings) FROM {tables}
            WHERE NOT fi.is_open AND fi.resolved_at >= %s AND fi.resolved_at < %s AND {where} GROUP BY 1""",
        [settings.TIME_ZONE, start, end, *params, settings.TIME_ZONE, start, end, *params],
    )
    out: dict[date, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for month_start, which, total in rows:
        out[sql.as_date(month_start)][which] += sql.as_money(total)
    return {m: (found, realised) for m, (found, realised) in sorted(out.items())}


def aws_measures(scope: KpiScope, *, now: datetime, ta_open: int | None = None) -> dict:
    """The AWS KPIs: open findings now (pass `ta_open` when known: it is the same for any period), savings found
    and realised in the period, production Health events."""
    savings = savings_by_month(scope)
    health = health_production_by_category(scope)
    if ta_open is None:
        ta_open = sum(count for _, count, _ in findings_open_by_category(scope))
    return {
        "ta_open": ta_open,
        "savings_found": sum((found for found, _ in savings.values()), Decimal(0)),
        "savings_realised": sum((realised for _, realised in savings.values()), Decimal(0)),
        "health_production": sum(health.values()),
    }


def health_production_by_category(scope: KpiScope) -> dict[str, int]:
    """{category: Health events that began in the period in production accounts} (the environment filter aside)."""
    where, params = _aws_where(scope)
    rows = sql.fetch(
        f"""SELECT h.category, count(*) FROM integrations_healthevent h
            JOIN integrations_awsaccount a ON a.id = h.account_id LEFT JOIN tickets_ticket t ON t.id = h.ticket_id
        WHERE a.environment = 'production' AND coalesce(h.start_time, h.last_updated_at) >= %s
            AND coalesce(h.start_time, h.last_updated_at) < %s AND {where} GROUP BY 1 ORDER BY 2 DESC, 1""",
        [site_midnight(scope.start), site_midnight(scope.end + timedelta(days=1)), *params],
    )
    return dict(rows)


def aws_drill_ticket_ids(scope: KpiScope, *, name: str, category: str = "", check: str = "") -> RawSQL:
    """Tickets behind an AWS figure: findings open in a category, findings of a noisy check, Health events. Planned
    apart: a few hundred ids looked up beat walking a million tickets newest first in search of them."""
    start, end = site_midnight(scope.start), site_midnight(scope.end + timedelta(days=1))
    if name == "health_production":
        where, params = _aws_where(scope)
        query = f"""SELECT h.ticket_id FROM integrations_healthevent h JOIN integrations_awsaccount a
            ON a.id = h.account_id JOIN tickets_ticket t ON t.id = h.ticket_id
            WHERE a.environment = 'production' AND coalesce(h.start_time, h.last_updated_at) >= %s
            AND coalesce(h.start_time, h.last_updated_at) < %s AND {where}"""
        params = [start, end, *params]
        if category:
            query, params = query + " AND h.category = %s", [*params, category]
    elif name == "ta_category":
        tables, where, params = _findings(scope, check=True, group=True)
        query = f"SELECT g.ticket_id FROM {tables} WHERE fi.is_open AND c.category = %s AND {where}"
        params = [category, *params]
    else:  # ta_check
        tables, where, params = _findings(scope, check=True, group=True)
        query = f"""SELECT g.ticket_id FROM {tables} WHERE c.check_id = %s AND fi.first_seen_at >= %s
            AND fi.first_seen_at < %s AND {where}"""
        params = [check, start, end, *params]
    return RawSQL(sql.planned_apart(query), sql.params(params))


AWS_DRILL_SETS = {
    "ta_category": "Open Trusted Advisor findings in a category",
    "ta_check": "Flagged by a Trusted Advisor check in the period",
    "health_production": "AWS Health events in production",
}


def drill_page(
    *,
    user,
    scope: KpiScope,
    name: str,
    now: datetime,
    cursor: str | None,
    day: date | None = None,
    kind: str = "",
    band: str = "",
    category: str = "",
    check: str = "",
    size: int = 25,
) -> Page:
    """A page of the tickets behind a figure that this user may see; raises InvalidCursor for a forged cursor."""
    if name in AWS_DRILL_SETS:
        ids = aws_drill_ticket_ids(scope, name=name, category=category, check=check)
    else:
        ids = drill_ticket_ids(scope, name=name, now=now, day=day, kind=kind, band=band)
    return keyset_page(ticket_list(user=user).filter(pk__in=ids), ordering=["-id"], cursor=cursor, size=size)


def _latest_run(source: str, field: str) -> Subquery:
    runs = PollRun.objects.filter(account=OuterRef("pk"), source=source).order_by("-started_at")
    return Subquery(runs.values(field)[:1])


def account_health(scope: KpiScope) -> QuerySet[AwsAccount]:
    """Accounts with their last Trusted Advisor and Health poll and what went wrong, in one query."""
    dimensions = scope.lookups(queue="owner_queue_id", environment="environment", account="account_id")
    return (
        AwsAccount.objects.filter(**dimensions)
        .order_by("name")
        .annotate(
            **{
                f"{prefix}_{field}": _latest_run(source, field)
                for prefix, source in (("ta", Source.TRUSTED_ADVISOR), ("health", Source.HEALTH))
                for field in ("started_at", "outcome", "message")
            }
        )[:50]
    )


# Targets and snapshots


def targets_with_latest(*, day: date) -> list[tuple[KpiTarget, KpiSnapshot | None, bool | None]]:
    """Enabled targets, their latest snapshot up to `day` and whether it met them: two queries."""
    targets = list(KpiTarget.objects.filter(enabled=True).select_related("severity", "queue").order_by("kpi", "pk"))
    keys = {(t.kpi, t.scope_key, t.window_days) for t in targets}
    latest: dict[tuple, KpiSnapshot] = {}
    if keys:
        rows = (
            KpiSnapshot.objects.filter(day__lte=day, kpi__in={k[0] for k in keys})
            .filter(scope_key__in={k[1] for k in keys}, window_days__in={k[2] for k in keys})
            .annotate(newest=Window(RowNumber(), partition_by=["kpi", "scope_key", "window_days"], order_by="-day"))  # type: ignore[list-item]  # names are fine
            .filter(newest=1)
        )
        latest = {(s.kpi, s.scope_key, s.window_days): s for s in rows}
    out = []
    for target in targets:
        snapshot = latest.get((target.kpi, target.scope_key, target.window_days))
        met = None if snapshot is None or snapshot.value is None else target.is_met(snapshot.value)
        out.append((target, snapshot, met))
    return out
