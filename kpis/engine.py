"""Where the KPI engine can run: its SQL is PostgreSQL's (ordered-set aggregates, grouping sets, upserts over
JSONB, covering indexes). The SQLite demo of `make run` says so instead of failing."""

import logging
from functools import wraps

from django.db import connection
from django.shortcuts import render

log = logging.getLogger(__name__)

NEEDS_POSTGRESQL = (
    "KPI figures are computed by PostgreSQL; this portal runs on SQLite (the default of make run). "
    "Start it with DATABASE_URL=postgres://… to see them."
)


def kpi_engine_available() -> bool:
    return connection.vendor == "postgresql"


def kpi_engine_view(view):
    """The view, or a page (a fragment for htmx) explaining that the figures need PostgreSQL."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if kpi_engine_available():
            return view(request, *args, **kwargs)
        template = "kpis/_needs_postgresql.html" if request.headers.get("HX-Request") else "kpis/needs_postgresql.html"
        return render(request, template, {"message": NEEDS_POSTGRESQL})

    return wrapper


def kpi_engine_task(task):
    """The task body, or nothing but a log line where the engine cannot run (the demo's beat still schedules it)."""

    @wraps(task)
    def wrapper(*args, **kwargs):
        if kpi_engine_available():
            return task(*args, **kwargs)
        log.info("%s skipped: %s", task.__name__, NEEDS_POSTGRESQL)
        return 0

    return wrapper
