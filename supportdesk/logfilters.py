"""Log filters named in settings.LOGGING."""

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """A 403 is a refusal the person was shown, not a fault: one line in the log, not a traceback burying the
    real errors (django.request logs PermissionDenied with its stack)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info, record.exc_text = None, None
        return True
