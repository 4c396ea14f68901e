"""Celery task metrics, counted by Celery's signals in whichever process runs the task (a prefork pool's children
write them to PROMETHEUS_MULTIPROC_DIR), and a worker's own metrics port (WORKER_METRICS_PORT), served by its main
process, so a worker on any host is scraped like the web."""

import logging
import os
import threading
import time
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from celery import signals
from django.conf import settings
from prometheus_client import Counter, Histogram, multiprocess

from .access import scrape_allowed
from .exposition import multiprocess_dir, scrape, stale_files_removed

logger = logging.getLogger(__name__)

TASKS = Counter(
    "supportdesk_celery_tasks",
    "Celery tasks finished, by task and outcome (succeeded, failed, retried, rejected, revoked).",
    ["task", "outcome"],
)
DURATION = Histogram(
    "supportdesk_celery_task_duration_seconds",
    "Run time of Celery tasks, by task, whatever their outcome.",
    ["task"],
    # From a notification's send to a poll of a large account (a quarter of an hour at most)
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, float("inf")),
)

_started: dict[str, float] = {}  # task id → when it started, in the process running it


def _task_started(task_id: str, **kwargs: Any) -> None:
    _started[task_id] = time.perf_counter()


def _task_ended(task_id: str, task: Any, **kwargs: Any) -> None:
    started = _started.pop(task_id, None)
    if started is not None:
        DURATION.labels(task.name).observe(time.perf_counter() - started)


def _outcome(outcome: str):
    def count(sender: Any = None, request: Any = None, **kwargs: Any) -> None:
        # task_success, _failure, _retry and _revoked send the task; _rejected and _unknown the consumer, and the
        # message, whose headers name the task
        if (message := kwargs.get("message")) is not None:
            name = (message.headers or {}).get("task")
        else:
            name = getattr(sender, "name", None) or getattr(request, "task", None)
        TASKS.labels(name or "unknown", outcome).inc()

    return count


# Celery holds receivers weakly: these live as long as the module
_COUNTERS = {outcome: _outcome(outcome) for outcome in ("succeeded", "failed", "retried", "rejected", "revoked")}


def signals_connect() -> None:
    signals.task_prerun.connect(_task_started, dispatch_uid="observability.task_started")
    signals.task_postrun.connect(_task_ended, dispatch_uid="observability.task_ended")
    signals.task_success.connect(_COUNTERS["succeeded"], dispatch_uid="observability.succeeded")
    signals.task_failure.connect(_COUNTERS["failed"], dispatch_uid="observability.failed")
    signals.task_retry.connect(_COUNTERS["retried"], dispatch_uid="observability.retried")
    signals.task_rejected.connect(_COUNTERS["rejected"], dispatch_uid="observability.rejected")
    signals.task_revoked.connect(_COUNTERS["revoked"], dispatch_uid="observability.revoked")
    signals.task_unknown.connect(_COUNTERS["rejected"], dispatch_uid="observability.unknown")  # rejected too
    signals.worker_init.connect(metrics_server_start, dispatch_uid="observability.metrics_server")
    signals.worker_process_shutdown.connect(_process_dead, dispatch_uid="observability.process_dead")


def _process_dead(**kwargs: Any) -> None:
    if multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid())  # a pool process recycled: its live gauges go with it


def metrics_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The worker's metrics, under the web's access rule; anything else, or a refusal, is a 404."""
    allowed = environ.get("PATH_INFO") == "/metrics" and scrape_allowed(
        authorization=environ.get("HTTP_AUTHORIZATION", ""),
        peer=environ.get("REMOTE_ADDR", ""),
        forwarded="HTTP_X_FORWARDED_FOR" in environ,
    )
    if not allowed:
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Not found.\n"]
    start_response("200 OK", [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")])
    return [scrape()]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a scrape in progress does not hold up the worker's shutdown


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # a line per scrape is noise in the worker's log


def metrics_server_start(sender: Any = None, **kwargs: Any) -> WSGIServer | None:
    """On ``worker_init``, in the worker's main process, before its pool starts: files a previous run left go, and
    the port serves from a thread (metrics while the broker is down too). A port already taken is logged, not
    fatal: the worker's work matters more than its metrics (and Prometheus shows the target down)."""
    port: int | None = settings.WORKER_METRICS_PORT
    if port is None:
        return None
    if multiprocess_dir():
        stale_files_removed(keep_pid=os.getpid())
    elif getattr(sender, "pool_cls", None) is not None and "prefork" in str(sender.pool_cls).lower():
        logger.warning(
            "WORKER_METRICS_PORT is set but PROMETHEUS_MULTIPROC_DIR is not: the tasks the pool's processes run "
            "will not show in this worker's metrics."
        )
    try:
        server = make_server(settings.WORKER_METRICS_ADDRESS, port, metrics_app, _Server, _QuietHandler)
    except OSError as exc:
        logger.error("Worker metrics not served on port %s: %s", port, exc)
        return None
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    logger.info("Worker metrics on port %s (/metrics).", port)
    return server
