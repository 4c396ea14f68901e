"""Severities and queues: small, read on every page, changed rarely. Cached as one entry;
signals clear it when an admin changes either."""

from django.core.cache import cache

from .models import Queue, Severity

_KEY = "tickets:reference:v1"


def _rows() -> tuple[list[Severity], list[Queue]]:
    rows = cache.get(_KEY)
    if rows is None:
        rows = (list(Severity.objects.order_by("rank")), list(Queue.objects.order_by("name")))
        if rows[0]:  # none yet means a database being set up (or flushed): do not remember that
            cache.set(_KEY, rows, timeout=3600)
    return rows


def severities() -> list[Severity]:
    return _rows()[0]


def queues() -> list[Queue]:
    return _rows()[1]


def default_queue() -> Queue | None:
    """Where a ticket goes when nobody chose a queue: the default one, else the oldest."""
    rows = queues()
    return next((q for q in rows if q.is_default), None) or min(rows, key=lambda q: q.pk, default=None)


DEFAULT_SEVERITY = "SEV4"  # what a ticket is filed as unless the person says otherwise


def default_severity() -> Severity | None:
    """The severity the filing form starts at (and the Slack command files with): SEV4, else the least severe."""
    rows = severities()
    return next((s for s in rows if s.name == DEFAULT_SEVERITY), None) or (rows[-1] if rows else None)


def reference_forget() -> None:
    cache.delete(_KEY)
