import logging
import sys

from supportdesk.logfilters import RefusalsWithoutTraceback


def _record(status_code: int) -> logging.LogRecord:
    try:
        raise PermissionError("nope")
    except PermissionError:
        record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden", (), sys.exc_info())
    record.status_code = status_code
    return record


def test_a_refusal_is_one_line_but_a_server_error_keeps_its_traceback():
    refusal, fault = _record(403), _record(500)
    assert RefusalsWithoutTraceback().filter(refusal) and refusal.exc_info is None
    assert RefusalsWithoutTraceback().filter(fault) and fault.exc_info is not None
    assert "Traceback" in logging.Formatter().format(fault) and "Traceback" not in logging.Formatter().format(refusal)


def test_the_filter_sits_on_djangos_request_logger_so_every_handler_sees_one_line():
    assert any(isinstance(f, RefusalsWithoutTraceback) for f in logging.getLogger("django.request").filters)
