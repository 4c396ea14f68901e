"""Database queries counted and timed in every process, into django-prometheus's own metrics (``django_db_*``),
through Django's execute wrappers rather than its database backends: the same on PostgreSQL (psycopg 3, server-side
binding) and the SQLite demo, with DATABASES left as they are."""

from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django_prometheus.db import connections_total, errors_total, execute_many_total, execute_total
from django_prometheus.db import query_duration_seconds as duration

Execute = Callable[[str, Any, bool, dict[str, Any]], Any]


class QueryCounter:
    """One per connection object (its alias and vendor are the labels). Kept on the wrapper across reconnects."""

    def __init__(self, alias: str, vendor: str) -> None:
        self.labels = (alias, vendor)
        # Each .labels() call takes the metric's lock and hashes its labels: look the children up once
        self.executed = execute_total.labels(alias, vendor)
        self.executed_many = execute_many_total.labels(alias, vendor)
        self.duration = duration.labels(alias, vendor)

    def __call__(self, execute: Execute, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        statements = len(params) if many and hasattr(params, "__len__") else 1
        self.executed.inc(statements)
        if many:
            self.executed_many.inc(statements)
        try:
            with self.duration.time():
                return execute(sql, params, many, context)
        except Exception as exc:
            errors_total.labels(*self.labels, type(exc).__name__).inc()
            raise


def queries_counted(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """On ``connection_created``: a wrapper object outlives its connections (persistent connections are reopened),
    so it is given one counter, once."""
    connections_total.labels(connection.alias, connection.vendor).inc()
    if not any(isinstance(wrapper, QueryCounter) for wrapper in connection.execute_wrappers):
        connection.execute_wrappers.append(QueryCounter(connection.alias, connection.vendor))
