"""gunicorn's hooks (read through ./gunicorn.conf.py, which gunicorn loads from the folder it starts in) and its
logs (`--logger-class supportdesk.gunicorn.SecretsRedactedLogger`).

The access log never shows a secret key from a URL; with LOG_FORMAT=json both its logs are JSON lines like the
portal's, each access line carrying the request's id (from the X-Request-ID the response returns).

The hooks keep Prometheus's multiprocess mode right (PROMETHEUS_MULTIPROC_DIR, set by the shell that starts
gunicorn, so every worker inherits it): each worker writes its metrics to files there and `/metrics` sums them.
https://prometheus.github.io/client_python/multiprocess/"""

import logging
import os

from gunicorn.glogging import Logger
from prometheus_client import multiprocess

from observability.exposition import stale_files_removed

from . import requestid
from .logfilters import JsonLines, secrets_redacted


class AccessJsonLines(JsonLines):
    OPTIONAL = (*JsonLines.OPTIONAL, "method", "path", "duration_ms", "remote_addr", "user_agent")


class SecretsRedactedLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        # The environment, not Django's settings: gunicorn's master logs before (or without) loading the app
        self.json = os.environ.get("LOG_FORMAT", "plain") == "json"
        if self.json:
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonLines())
            for handler in self.access_log.handlers:
                handler.setFormatter(AccessJsonLines())

    def atoms(self, resp, req, environ, request_time) -> dict:
        # Every atom: the request line, the path, the referer, any header or environ variable a format may name
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: secrets_redacted(value) if isinstance(value, str) else value for name, value in atoms.items()}

    def access(self, resp, req, environ, request_time) -> None:
        if not self.json:
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "request_id": atoms.get("{x-request-id}o"),  # None for what never reached Django
            "user_id": requestid.user_id(),  # still bound: gunicorn logs before it closes the response
            "status_code": resp.status_code,
            "method": atoms["m"],
            "path": atoms["U"],
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote_addr": atoms["h"],
            "user_agent": atoms["a"],
        }
        self.access_log.log(logging.INFO, f"{atoms['r']} {atoms['s']}", extra=fields)


def on_starting(server) -> None:
    """In the master, before any worker: the last run's files would be summed into this one's."""
    stale_files_removed(keep_pid=os.getpid())


def child_exit(server, worker) -> None:
    """A worker gone (recycled, killed, timed out): its live gauges go; its counters stay in the sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
