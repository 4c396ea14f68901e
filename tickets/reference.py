"""Severities and queues: small, read on every page, changed rarely. Cached; signals clear the cache."""

from django.core.cache import cache

from .models import Queue, Severity

_SEVERITIES_KEY = "tickets:severities:v1"
_QUEUES_KEY = "tickets:queues:v1"


def severities() -> list[Severity]:
    rows = cache.get(_SEVERITIES_KEY)
    if rows is None:
        rows = list(Severity.objects.order_by("rank"))
        cache.set(_SEVERITIES_KEY, rows, timeout=3600)
    return rows


def queues() -> list[Queue]:
    rows = cache.get(_QUEUES_KEY)
    if rows is None:
        rows = list(Queue.objects.order_by("name"))
        cache.set(_QUEUES_KEY, rows, timeout=3600)
    return rows


def default_queue() -> Queue | None:
    """Where a ticket goes when nobody chose a queue: the default one, else the oldest."""
    rows = queues()
    return next((q for q in rows if q.is_default), None) or min(rows, key=lambda q: q.pk, default=None)


def reference_forget() -> None:
    cache.delete_many([_SEVERITIES_KEY, _QUEUES_KEY])
