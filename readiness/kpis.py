"""The readiness figures as KPIs, registered with the KPI engine (which knows nothing of reviews)."""

from operator import itemgetter

from django.utils import timezone

from kpis.registry import Kpi, kpi_register

from .selectors import readiness_counts


def _counts(scope, *, now) -> dict:
    return readiness_counts(
        account=scope.account, environment=scope.environment, queue_id=scope.queue_id, today=timezone.localdate(now)
    )


def readiness_kpis_register() -> None:
    kpi_register(
        Kpi(
            "overdue_reviews",
            "Overdue readiness reviews",
            "count",
            "lower",
            "readiness",
            itemgetter("overdue_reviews"),
            help="Reviews past their due date and not yet submitted.",
        ),
        source=_counts,
    )
    kpi_register(
        Kpi(
            "open_actions",
            "Open readiness actions",
            "count",
            "lower",
            "readiness",
            itemgetter("open_actions"),
            help="Action items from reviews whose tickets are still open.",
        ),
    )
