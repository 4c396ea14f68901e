"""Log filters named in settings.LOGGING."""

import logging
import re


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
