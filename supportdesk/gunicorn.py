"""gunicorn's logs: `gunicorn --logger-class supportdesk.gunicorn.SecretsRedactedLogger`.

The access log never shows a secret key from a URL; with LOG_FORMAT=json both its logs are JSON lines like the
portal's, each access line carrying the request's id (from the X-Request-ID the response returns)."""

import logging
import os

from gunicorn.glogging import Logger

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
