"""Every KPI, defined once: the dashboard's headline numbers, the targets and the daily snapshots all read these.

A KPI names a source (one function computing several measures for a scope in a few queries) and the measure it
takes from it, so computing every KPI of a scope costs one call per source, not one per KPI.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from . import selectors
from .filters import KpiScope

Source = Callable[..., dict]  # (scope, *, now) -> {measure: value}

SOURCES: dict[str, Source] = {
    "tickets": lambda scope, *, now: selectors.ticket_measures(scope, now=now)[0],
    "aws": selectors.aws_measures,
}


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: str  # minutes, hours, percent, count, money
    better: str  # "lower" or "higher"
    source: str
    value: Callable[[dict], float | int | Decimal | None]
    help: str = ""


def _duration(measure: str, per: int) -> Callable[[dict], float | None]:
    return lambda m: None if m[measure] is None else m[measure] / per


def _rate(part: str, whole: str) -> Callable[[dict], float | None]:
    return lambda m: 100 * m[part] / m[whole] if m[whole] else None


def _measure(name: str) -> Callable[[dict], float | None]:
    return lambda m: m[name]


_APPROX = "Approximate (±9%): read from duration histograms so any range stays fast."
_KPIS = [
    Kpi(
        "mtta_p50",
        "MTTA, median",
        "minutes",
        "lower",
        "tickets",
        _duration("mtta_p50", 60),
        f"Created to first acknowledgement, tickets created in the period. {_APPROX}",
    ),
    Kpi("mtta_p90", "MTTA, p90", "minutes", "lower", "tickets", _duration("mtta_p90", 60), _APPROX),
    Kpi(
        "mttr_p50",
        "MTTR, median",
        "hours",
        "lower",
        "tickets",
        _duration("mttr_p50", 3600),
        f"Created to last resolution, resolved tickets created in the period. {_APPROX}",
    ),
    Kpi("mttr_p90", "MTTR, p90", "hours", "lower", "tickets", _duration("mttr_p90", 3600), _APPROX),
    Kpi(
        "response_sla",
        "Response SLA met",
        "percent",
        "higher",
        "tickets",
        _rate("response_met", "response_total"),
        "Acknowledged by the business-hours due time; tickets still waiting before it are not judged yet.",
    ),
    Kpi(
        "resolution_sla",
        "Resolution SLA met",
        "percent",
        "higher",
        "tickets",
        _rate("resolution_met", "resolution_total"),
        "Last resolution by the business-hours due time.",
    ),
    Kpi("created", "Tickets created", "count", "lower", "tickets", _measure("created")),
    Kpi(
        "resolved",
        "Tickets resolved",
        "count",
        "higher",
        "tickets",
        _measure("resolved"),
        "Last resolution in the period, whenever created.",
    ),
    Kpi("backlog", "Open at period end", "count", "lower", "tickets", _measure("backlog")),
    Kpi(
        "reopen_rate",
        "Reopen rate",
        "percent",
        "lower",
        "tickets",
        _rate("reopened", "ever_resolved"),
        "Of the tickets resolved at least once, those reopened afterwards.",
    ),
    Kpi(
        "first_contact_rate",
        "First-contact resolution",
        "percent",
        "higher",
        "tickets",
        _rate("fcr", "fcr_total"),
        "Incidents and requests resolved with at most one agent reply and never reopened, of those resolved.",
    ),
    Kpi(
        "aws_escalations",
        "Escalated to AWS",
        "count",
        "lower",
        "tickets",
        _measure("aws_escalated"),
        "Tickets created in the period with an AWS Support case.",
    ),
    Kpi(
        "aws_case_hours",
        "AWS case time to resolve, median",
        "hours",
        "lower",
        "tickets",
        _duration("aws_case_seconds", 3600),
        "From asking AWS to open the case to AWS resolving it.",
    ),
    Kpi("ta_open", "Trusted Advisor findings open", "count", "lower", "aws", _measure("ta_open"), "Now."),
    Kpi(
        "savings_found",
        "Savings found",
        "money",
        "higher",
        "aws",
        _measure("savings_found"),
        "Estimated monthly savings of findings flagged in the period.",
    ),
    Kpi(
        "savings_realised",
        "Savings realised",
        "money",
        "higher",
        "aws",
        _measure("savings_realised"),
        "Estimated monthly savings of findings resolved in the period.",
    ),
    Kpi(
        "health_production",
        "Health events in production",
        "count",
        "lower",
        "aws",
        _measure("health_production"),
        "AWS Health events that began in the period in production accounts.",
    ),
]
KPIS: dict[str, Kpi] = {kpi.key: kpi for kpi in _KPIS}


def kpi_register(kpi: Kpi, *, source: Source | None = None) -> None:
    """Add a KPI (and its source, if new) to the registry: apps above kpis add theirs from their AppConfig.ready()
    (readiness/kpis.py), so kpis never imports them."""
    if source is not None:
        SOURCES[kpi.source] = source
    KPIS[kpi.key] = kpi


def kpi_values(scope: KpiScope, *, now: datetime, keys: list[str] | None = None) -> dict[str, Decimal | None]:
    """The KPIs' values in a scope, rounded to cents; None where there is nothing to measure."""
    wanted = [KPIS[key] for key in keys] if keys is not None else list(KPIS.values())
    measures = {name: SOURCES[name](scope, now=now) for name in dict.fromkeys(kpi.source for kpi in wanted)}
    return kpis_read(measures, wanted)


def kpis_read(measures: dict[str, dict], kpis: list[Kpi]) -> dict[str, Decimal | None]:
    """The KPIs' values from their sources' measures ({source name: measures}) already computed."""
    return {kpi.key: _decimal(kpi.value(measures[kpi.source])) for kpi in kpis}


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))
