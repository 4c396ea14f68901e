import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.db import connection

from supportdesk.logfilters import RefusalsWithoutTraceback, secrets_redacted
from tools.devserver import web_command


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


KEY_URL = "/accounts/password/reset/key/3-cf1b7a-3e4b1f0c9d2a8e7b6c5d4e3f2a1b0c9d/"


@pytest.mark.parametrize(
    ("line", "logged"),
    [
        (f'"GET {KEY_URL} HTTP/1.1" 302', '"GET /accounts/password/reset/key/3-[redacted]/ HTTP/1.1" 302'),
        ("GET /accounts/password/reset/key/3-set-password/", "GET /accounts/password/reset/key/3-set-password/"),
        ("GET /accounts/password/reset/key/done/", "GET /accounts/password/reset/key/done/"),
        ("Not Found: /accounts/confirm-email/MTU:1sXyZ:abc/", "Not Found: /accounts/confirm-email/[redacted]/"),
    ],
)
def test_secret_keys_are_redacted_from_urls_and_the_rest_is_kept(line, logged):
    assert secrets_redacted(line) == logged


def test_djangos_request_log_shows_no_reset_key(caplog):
    logging.getLogger("django.request").warning("Not Found: %s", KEY_URL, extra={"status_code": 404})
    assert "cf1b7a" not in caplog.text
    assert "Not Found: /accounts/password/reset/key/3-[redacted]/" in caplog.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db
def test_the_gunicorn_access_log_of_make_run_shows_no_reset_key():
    # given: gunicorn as `make run` starts it, over the test database
    db, port = connection.settings_dict, _free_port()
    web = web_command(str(port))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    server = subprocess.Popen(web, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # when: someone follows the link of a password-reset email
        for _ in range(100):
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}{KEY_URL}", timeout=5).status
                break
            except urllib.error.HTTPError as exc:
                status = exc.code
                break
            except OSError:
                time.sleep(0.2)
        assert status < 500
    finally:
        server.terminate()
        log = server.communicate(timeout=20)[0]
    # then: the access log names the page, not the key
    assert "/accounts/password/reset/key/3-[redacted]/" in log
    assert "cf1b7a" not in log
