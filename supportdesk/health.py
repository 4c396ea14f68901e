"""Health endpoints for load balancers, the compose file and Kubernetes probes.

/health/live   the process answers (no I/O): restart it when this fails
/health/ready  the database, cache and broker answer and every migration is applied: send it traffic when this
               passes; a JSON body names each check, its state and how long it took; 503 when one fails
/healthz       the old address of live, kept for load balancers configured with it

Answered by a middleware near the top of MIDDLEWARE, before the host check, the HTTPS redirect, sessions and
authentication: a probe comes over plain HTTP with the pod's address as Host, carries no cookie, and must learn
about the process, not about those. They reveal nothing secret: no host names, no error texts (those go to the log).
"""

import logging
import time
from collections.abc import Callable
from uuid import uuid4

from celery import current_app
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger(__name__)

LIVE_PATHS = ("/health/live", "/healthz")
READY_PATH = "/health/ready"
BROKER_TIMEOUT = 2  # seconds: a probe's own timeout is longer, so a down broker is a 503, not a timed-out probe

_migrations_applied = False  # once true, true until the process restarts with newer code: not rechecked per probe


def database_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def cache_check() -> None:
    # A round trip: the Redis cache answers a miss rather than fail while Redis is down (supportdesk/cache.py)
    key, value = f"health:{uuid4().hex}", uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise ConnectionError("the cache did not give back what was just stored")
    cache.delete(key)


def broker_check() -> None:
    with current_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)


def migrations_check() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    executor = MigrationExecutor(connection)
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if unapplied:
        raise LookupError(f"{len(unapplied)} migrations not applied, the first {unapplied[0][0]}")
    _migrations_applied = True


CHECKS: dict[str, Callable[[], None]] = {
    "database": database_check,
    "cache": cache_check,
    "broker": broker_check,
    "migrations": migrations_check,
}


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    """Every check, each on its own: one failing does not hide the state of the others."""
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure is "not ready"; the text may name hosts or credentials: log only
            log.warning("Readiness check %s failed: %r", name, exc)
            state = {"ok": False, "error": type(exc).__name__}
        else:
            state = {"ok": True}
        results[name] = state | {"ms": round((time.perf_counter() - started) * 1000, 1)}
    return all(r["ok"] for r in results.values()), results


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in LIVE_PATHS:
            return HttpResponse("ok", content_type="text/plain")
        if request.path == READY_PATH:
            ready, checks = readiness()
            response = JsonResponse({"status": "ready" if ready else "not ready", "checks": checks})
            response.status_code = 200 if ready else 503
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
