"""Thin Celery wrappers, safe to run twice (acks_late): the refresh recomputes whole rows from a locked cursor, and
a day's snapshots and notices are unique per day."""

from datetime import date, timedelta
from typing import Any

from celery import shared_task
from django.utils import timezone

from . import services

# Folding a large history (after an import, or the first run) takes longer than the global limit
_LONG: dict[str, Any] = {"soft_time_limit": 14 * 60, "time_limit": 15 * 60}


@shared_task(acks_late=True, **_LONG)
def facts_refresh_task() -> int:
    """Every minute (admin-editable in Periodic tasks): fold new timeline events into the KPI facts."""
    return services.facts_refresh()


@shared_task(acks_late=True, **_LONG)
def kpi_snapshots_task(day: str | None = None) -> int:
    """Daily, after midnight: snapshot yesterday's KPIs and notify the targets missed."""
    services.facts_refresh()  # the snapshot sees every event up to now
    the_day = date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
    return services.kpi_snapshots_take(day=the_day)
