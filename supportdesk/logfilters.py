"""Log filters and the JSON formatter named in settings.LOGGING."""

import logging
import re
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from . import requestid


class RefusalsWithoutTraceback(logging.Filter):
    """A 403 is a refusal the person was shown, not a fault: one line in the log, not a traceback burying the
    real errors (django.request logs PermissionDenied with its stack)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info, record.exc_text = None, None
        return True


# Secrets that travel in a URL: password-reset keys (allauth swaps the key for "set-password" after one visit)
# and email-confirmation keys. A log line keeps the page, never the key.
_SECRET_IN_URL = re.compile(
    r"(/password/reset/key/[0-9A-Za-z]+-)(?!set-password/)[^/\s\"'?]+"
    r"|(/confirm-email/)[^/\s\"'?]+"
)


def secrets_redacted(text: str) -> str:
    return _SECRET_IN_URL.sub(lambda m: (m.group(1) or m.group(2)) + "[redacted]", text)


class SecretsRedacted(logging.Filter):
    """Takes secret keys out of a record's message (django.request's "Not Found: <path>", runserver's request
    lines, anything logging a URL). The gunicorn access log does the same in supportdesk/gunicorn.py."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = secrets_redacted(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class RequestContext(logging.Filter):
    """Puts the request id and user id (and in a worker the task's id and name) on each record, for the JSON
    formatter; the plain format leaves them out."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = requestid.request_id()
        record.user_id = requestid.user_id()
        record.task_id, record.task_name = requestid.task_fields()
        return True


class JsonLines(JsonFormatter):
    """One JSON object a line (LOG_FORMAT=json), with named fields only: a record's other extras stay out, as
    django.request's `request` object, whose text would carry the unredacted path."""

    FIELDS: tuple[str, ...] = ("request_id", "user_id")  # on every line, null outside a request or task
    OPTIONAL: tuple[str, ...] = ("task_id", "task_name", "status_code")  # only when they are set

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        for field in self.FIELDS:
            log_data[field] = getattr(record, field, None)
        for field in self.OPTIONAL:
            if (value := getattr(record, field, None)) is not None:
                log_data[field] = value
        if "exc_info" in message_dict:  # the traceback as one field, not lines that break the stream
            log_data["exception"] = message_dict["exc_info"]
