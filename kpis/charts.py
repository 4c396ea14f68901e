"""The dashboard's charts as data: labels, series and, for each bar or point, the link to the tickets behind it.

One Chart feeds the canvas (as JSON), the table under it and its CSV, so the three always show the same numbers.
Each builder makes one or two queries (see selectors), so every panel request stays bounded.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from supportdesk.csvfile import csv_cell
from tickets import reference
from tickets.models import Ticket

from . import registry, selectors
from .filters import KpiScope

BLUE, GREEN, AMBER, RED, GREY = "#2e6bd6", "#12a150", "#f79009", "#d92d20", "#98a2b3"
BAND_COLOURS = ["#b2ccff", "#84adff", "#528bff", "#2970ff", "#1849a9"]


@dataclass
class Series:
    name: str
    values: list
    colour: str
    links: list = field(default_factory=list)


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # "bar" or "line"
    label_heading: str
    labels: list[str]
    series: list[Series]
    unit: str
    note: str = ""
    stacked: bool = False
    horizontal: bool = False
    log: bool = False

    @property
    def empty(self) -> bool:
        return not any(v for s in self.series for v in s.values)

    def config(self) -> dict:
        """What static/js/kpis.js draws; numbers as floats, links per point."""
        return {
            "kind": self.kind,
            "labels": self.labels,
            "unit": self.unit,
            "stacked": self.stacked,
            "horizontal": self.horizontal,
            "log": self.log,
            "series": [
                {
                    "name": s.name,
                    "colour": s.colour,
                    "links": s.links,
                    "values": [None if v is None else float(v) for v in s.values],
                }
                for s in self.series
            ],
        }

    def rows(self) -> list[tuple[str, list]]:
        return [(label, [s.values[i] for s in self.series]) for i, label in enumerate(self.labels)]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([csv_cell(self.label_heading), *(csv_cell(f"{s.name} ({self.unit})") for s in self.series)])
        for label, values in self.rows():  # labels are names people typed (queues, checks): never formulas
            writer.writerow([csv_cell(label), *("" if v is None else v for v in values)])
        return out.getvalue()


# Links to the tickets behind a figure


def ticket_list_link(scope: KpiScope | dict, *, field: str = "created", start: date, end: date, **extra) -> str:
    """The ticket list, with the scope's dimensions (or those already read from it) and a created (or resolved)
    date range."""
    dimensions = scope if isinstance(scope, dict) else scope.ticket_list_params()
    params = {"status": "all", f"{field}_from": start.isoformat(), f"{field}_to": end.isoformat()}
    return "/tickets/?" + urlencode(params | dimensions | extra)


def drill_link(scope: KpiScope | str, name: str, **extra: str) -> str:
    """The dashboard's own list, for sets the ticket list cannot filter (reopened, SLA missed, …); `scope` may be
    its query string already."""
    query = scope if isinstance(scope, str) else scope.query_string()
    return f"/dashboard/tickets/?{urlencode({'set': name, **{k: v for k, v in extra.items() if v}})}&{query}"


def _with_severity(scope: KpiScope, severity_id: int) -> KpiScope:
    return replace(scope, severity_id=severity_id)


def _severities(scope: KpiScope) -> list:
    return [s for s in reference.severities() if not scope.severity_id or s.pk == scope.severity_id]


def _round(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


# The charts


def flow_chart(scope: KpiScope, *, now: datetime) -> Chart:
    flow = selectors.flow_by_day(scope)
    days = [scope.start + timedelta(days=n) for n in range(scope.days)]
    dimensions = scope.ticket_list_params()  # once: a link per day and series
    return Chart(
        key="flow",
        title="Created and resolved per day",
        kind="line",
        label_heading="Day",
        labels=[d.isoformat() for d in days],
        unit="tickets",
        series=[
            Series(
                "Created",
                [flow.get(d, (0, 0))[0] for d in days],
                BLUE,
                [ticket_list_link(dimensions, start=d, end=d) for d in days],
            ),
            Series(
                "Resolved",
                [flow.get(d, (0, 0))[1] for d in days],
                GREEN,
                [ticket_list_link(dimensions, field="resolved", start=d, end=d) for d in days],
            ),
        ],
        note="Resolved: the day of the last resolution, whenever the ticket was filed.",
    )


def backlog_chart(scope: KpiScope, *, now: datetime) -> Chart:
    counts = selectors.backlog_by_severity_and_age(scope)
    bands = selectors.AGE_BANDS
    return Chart(
        key="backlog",
        title=f"Open on {scope.end:%d %b %Y}, by age",
        kind="bar",
        label_heading="Age",
        labels=[label for _, label, _, _ in bands],
        unit="tickets",
        stacked=True,
        series=[
            Series(
                s.name,
                [counts.get((s.pk, key), 0) for key, *_ in bands],
                s.colour,
                [drill_link(query, "open", band=key) for key, *_ in bands],
            )
            for s, query in ((s, _with_severity(scope, s.pk).query_string()) for s in _severities(scope))
        ],
        note="Filed by the end of the period and not resolved (for the last time) by then.",
    )


def sla_chart(scope: KpiScope, *, now: datetime) -> Chart:
    sla = selectors.sla_by_severity(scope, now=now)
    severities = _severities(scope)

    def rate(severity, met: int, total: int) -> float | None:
        values = sla.get(severity.pk)
        return _round(100 * values[met] / values[total]) if values and values[total] else None

    return Chart(
        key="sla",
        title="SLA attainment by severity",
        kind="bar",
        label_heading="Severity",
        labels=[s.name for s in severities],
        unit="%",
        series=[
            Series(
                "Response met",
                [rate(s, 0, 1) for s in severities],
                BLUE,
                [drill_link(_with_severity(scope, s.pk), "response_missed") for s in severities],
            ),
            Series(
                "Resolution met",
                [rate(s, 2, 3) for s in severities],
                GREEN,
                [drill_link(_with_severity(scope, s.pk), "resolution_missed") for s in severities],
            ),
        ],
        note="Against each ticket's business-hours due times; a click lists the misses. Tickets still inside "
        "their time are not judged yet.",
    )


def _times_chart(scope: KpiScope, dimension: str, title: str, labels: list[tuple], links: list[str]) -> Chart:
    durations = selectors.durations_by(scope, dimension)

    def hours(key, measure: str, fraction: float) -> float | None:
        d = durations.get(key)
        seconds = d.seconds(measure, fraction) if d else None
        return _round(seconds / 3600 if seconds is not None else None, 3)

    keys = [key for key, _ in labels]
    return Chart(
        key=f"times-{dimension}",
        title=title,
        kind="bar",
        label_heading=dimension.capitalize(),
        labels=[label for _, label in labels],
        unit="hours",
        log=True,
        series=[
            Series("MTTA median", [hours(k, "mtta", 0.5) for k in keys], "#84adff", links),
            Series("MTTA p90", [hours(k, "mtta", 0.9) for k in keys], BLUE, links),
            Series("MTTR median", [hours(k, "mttr", 0.5) for k in keys], "#75e0a7", links),
            Series("MTTR p90", [hours(k, "mttr", 0.9) for k in keys], GREEN, links),
        ],
        note="Tickets created in the period. Approximate (±9%): read from duration histograms. Log scale.",
    )


def times_by_severity_chart(scope: KpiScope, *, now: datetime) -> Chart:
    severities = _severities(scope)
    links = [drill_link(_with_severity(scope, s.pk), "created") for s in severities]
    return _times_chart(scope, "severity", "MTTA and MTTR by severity", [(s.pk, s.name) for s in severities], links)


def times_by_queue_chart(scope: KpiScope, *, now: datetime) -> Chart:
    queues = [q for q in reference.queues() if not scope.queue_id or q.pk == scope.queue_id]
    links = [drill_link(replace(scope, queue_id=q.pk), "created") for q in queues]
    return _times_chart(scope, "queue", "MTTA and MTTR by queue", [(q.pk, q.name) for q in queues], links)


def times_by_kind_chart(scope: KpiScope, *, now: datetime) -> Chart:
    kinds = list(Ticket.Kind.choices)
    links = [drill_link(scope, "created", kind=value) for value, _ in kinds]
    return _times_chart(scope, "kind", "MTTA and MTTR by source", [(v, str(label)) for v, label in kinds], links)


def findings_chart(scope: KpiScope, *, now: datetime) -> Chart:
    rows = selectors.findings_open_by_category(scope)
    return Chart(
        key="findings",
        title="Trusted Advisor findings open, by category",
        kind="bar",
        label_heading="Category",
        labels=[category for category, _, _ in rows],
        unit="findings",
        series=[
            Series(
                "Open findings",
                [count for _, count, _ in rows],
                AMBER,
                [drill_link(scope, "ta_category", category=category) for category, _, _ in rows],
            )
        ],
        note="Open now, whatever the dates.",
    )


def noisy_checks_chart(scope: KpiScope, *, now: datetime) -> Chart:
    rows = selectors.noisy_checks(scope)
    return Chart(
        key="noisy",
        title="Noisiest Trusted Advisor checks",
        kind="bar",
        label_heading="Check",
        labels=[name for _, name, _ in rows],
        unit="findings",
        horizontal=True,
        series=[
            Series(
                "Flagged in the period",
                [count for _, _, count in rows],
                AMBER,
                [drill_link(scope, "ta_check", check=check_id) for check_id, _, _ in rows],
            )
        ],
    )


def savings_chart(scope: KpiScope, *, now: datetime) -> Chart:
    months = selectors.savings_by_month(scope)
    return Chart(
        key="savings",
        title="Estimated monthly savings found and realised",
        kind="bar",
        label_heading="Month",
        labels=[m.strftime("%b %Y") for m in months],
        unit="USD/month",
        series=[
            Series("Found", [found for found, _ in months.values()], AMBER),
            Series("Realised", [realised for _, realised in months.values()], GREEN),
        ],
        note="Found: flagged in the period. Realised: resolved in the period.",
    )


def health_chart(scope: KpiScope, *, now: datetime) -> Chart:
    rows = selectors.health_production_by_category(scope)
    return Chart(
        key="health",
        title="AWS Health events in production",
        kind="bar",
        label_heading="Category",
        labels=list(rows),
        unit="events",
        series=[
            Series(
                "Events", list(rows.values()), RED, [drill_link(scope, "health_production", category=c) for c in rows]
            )
        ],
        note="Events that began in the period in accounts marked production.",
    )


CHARTS: dict[str, Callable[..., Chart]] = {
    "flow": flow_chart,
    "backlog": backlog_chart,
    "sla": sla_chart,
    "times-severity": times_by_severity_chart,
    "times-queue": times_by_queue_chart,
    "times-kind": times_by_kind_chart,
    "findings": findings_chart,
    "noisy": noisy_checks_chart,
    "savings": savings_chart,
    "health": health_chart,
}


# Headline numbers


@dataclass(frozen=True)
class Headline:
    kpi: registry.Kpi
    value: Decimal | None
    previous: Decimal | None
    link: str

    @property
    def change(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def verdict(self) -> str:
        """ "better", "worse" or "" (unchanged or not comparable)."""
        if not self.change:
            return ""
        return "better" if (self.change < 0) == (self.kpi.better == "lower") else "worse"


HEADLINE_KEYS = [
    "created",
    "resolved",
    "backlog",
    "mtta_p50",
    "mttr_p50",
    "response_sla",
    "resolution_sla",
    "reopen_rate",
    "first_contact_rate",
    "aws_escalations",
    "aws_case_hours",
    "ta_open",
    "savings_found",
    "savings_realised",
    "health_production",
]


def headlines(scope: KpiScope, *, now: datetime) -> list[Headline]:
    """The headline KPIs now and in the previous period: the ticket measures of both in one set of queries."""
    tickets_now, tickets_before = selectors.ticket_measures(scope, now=now, with_previous=True)
    aws_now = selectors.aws_measures(scope, now=now)
    current = {"tickets": tickets_now, "aws": aws_now}
    previous = {
        "tickets": tickets_before,
        "aws": selectors.aws_measures(scope.previous(), now=now, ta_open=aws_now["ta_open"]),
    }
    kpis = [registry.KPIS[key] for key in HEADLINE_KEYS]
    values, before = registry.kpis_read(current, kpis), registry.kpis_read(previous, kpis)
    links = {
        "created": ticket_list_link(scope, start=scope.start, end=scope.end),
        "resolved": ticket_list_link(scope, field="resolved", start=scope.start, end=scope.end),
        "backlog": drill_link(scope, "open"),
        "mtta_p50": drill_link(scope, "created"),
        "mttr_p50": drill_link(scope, "created"),
        "response_sla": drill_link(scope, "response_missed"),
        "resolution_sla": drill_link(scope, "resolution_missed"),
        "reopen_rate": drill_link(scope, "reopened"),
        "first_contact_rate": drill_link(scope, "not_first_contact"),
        "aws_escalations": drill_link(scope, "aws_escalated"),
        "aws_case_hours": drill_link(scope, "aws_escalated"),
        "ta_open": "/tickets/?" + urlencode({"kind": Ticket.Kind.AWS_FINDING, **scope.ticket_list_params()}),
        "health_production": drill_link(scope, "health_production"),
    }
    return [Headline(k, values[k.key], before[k.key], links.get(k.key, "")) for k in kpis]
