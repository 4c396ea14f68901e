"""Reads that may come from a PostgreSQL read replica (DATABASE_REPLICA_URL, the `replica` database): the KPI
dashboard and the CSV exports read much and write nothing, so inside `replica_reads()` the router sends their reads
there and leaves the primary to the ticket work. Writes, and every read outside the block, go to `default`; with no
replica configured everything does. A replica lags its primary by a moment: only reads that may be that stale belong
in the block, never a read a write depends on. The views check who may open them before it, on the primary; the rows
an export lists are filtered on the replica (a queue membership removed a second ago may still count there)."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

REPLICA = "replica"
T = TypeVar("T")
_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _replica_reads.set(True)  # a contextvar: this request's thread (or task) only
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_reads_view(view: Callable[..., T]) -> Callable[..., T]:
    """The view's reads (and its template's, rendered inside it) from the replica."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper


def replica_reads_streamed(items: Iterable[T]) -> Iterator[T]:
    """A streamed body read from the replica as the client downloads it, after the view has returned; the block
    covers each step only, so nothing else the server does between chunks reads from the replica."""
    iterator = iter(items)
    while True:
        with replica_reads():
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads in `replica_reads()` to the replica when there is one, all else to default."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return REPLICA if _replica_reads.get() and REPLICA in settings.DATABASES else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS  # also for a row read from the replica (Django would write it back there)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA  # read-only: it follows the primary's schema by replication
