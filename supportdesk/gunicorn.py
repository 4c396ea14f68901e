"""gunicorn's hooks (read through ./gunicorn.conf.py, which gunicorn loads from the folder it starts in) and its
access log without secrets (`--logger-class supportdesk.gunicorn.SecretsRedactedLogger`).

The hooks keep Prometheus's multiprocess mode right (PROMETHEUS_MULTIPROC_DIR, set by the shell that starts
gunicorn, so every worker inherits it): each worker writes its metrics to files there and `/metrics` sums them.
https://prometheus.github.io/client_python/multiprocess/"""

import os

from gunicorn.glogging import Logger
from prometheus_client import multiprocess

from observability.exposition import stale_files_removed

from .logfilters import secrets_redacted


class SecretsRedactedLogger(Logger):
    def atoms(self, resp, req, environ, request_time) -> dict:
        # Every atom: the request line, the path, the referer, any header or environ variable a format may name
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: secrets_redacted(value) if isinstance(value, str) else value for name, value in atoms.items()}


def on_starting(server) -> None:
    """In the master, before any worker: the last run's files would be summed into this one's."""
    stale_files_removed(keep_pid=os.getpid())


def child_exit(server, worker) -> None:
    """A worker gone (recycled, killed, timed out): its live gauges go; its counters stay in the sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
