import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime

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
@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_the_gunicorn_access_log_of_make_run_shows_no_reset_key(log_format):
    # given: gunicorn as `make run` starts it, over the test database
    db, port = connection.settings_dict, _free_port()
    web = web_command(str(port))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "LOG_FORMAT": log_format,
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
    if log_format == "json":  # every line JSON; the access line with its request id and the redacted path
        lines = [json.loads(line) for line in log.splitlines()]
        access = [line for line in lines if line.get("path") == "/accounts/password/reset/key/3-[redacted]/"]
        assert access  # one, or more when a first try timed out while gunicorn was starting
        for line in access:
            assert line["logger"] == "gunicorn.access" and re.fullmatch("[0-9a-f]{32}", line["request_id"])
            assert line["message"] == f"GET /accounts/password/reset/key/3-[redacted]/ HTTP/1.1 {line['status_code']}"


# LOG_FORMAT=json -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_json_lines_carry_time_level_logger_message_request_id_and_user_id(client, requester, json_log):
    # given: a signed-in person
    client.force_login(requester)
    # when: they open a ticket that does not exist (Django logs "Not Found" after authentication has run)
    response = client.get("/tickets/NOPE-1/", HTTP_X_REQUEST_ID="click-42")
    # then: the line is JSON with every field, the request's id and the person's
    assert response.status_code == 404
    (line,) = [line for line in json_log() if line["logger"] == "django.request"]
    assert line["level"] == "WARNING" and line["message"] == "Not Found: /tickets/NOPE-1/"
    assert (line["request_id"], line["user_id"]) == ("click-42", requester.pk)
    assert datetime.fromisoformat(line["time"]).tzinfo is not None
    assert "task_id" not in line and "request" not in line  # no task here; Django's request object stays out


@pytest.mark.django_db
def test_a_log_line_before_sign_in_has_the_request_id_and_no_user(client, json_log):
    # the API refuses them; Django logs that after every middleware has run
    assert client.get("/api/tickets/", HTTP_X_REQUEST_ID="anon-1").status_code in (401, 403)
    lines = [line for line in json_log() if line["logger"] == "django.request"]
    assert lines and all((line["request_id"], line["user_id"]) == ("anon-1", None) for line in lines)


def test_json_lines_outside_a_request_have_null_ids_and_the_traceback_as_one_field(json_log):
    log = logging.getLogger("supportdesk.test")
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        log.exception("It failed")
    (line,) = json_log()
    assert (line["message"], line["level"], line["request_id"], line["user_id"]) == ("It failed", "ERROR", None, None)
    assert line["exception"].startswith("Traceback") and "ValueError: broken\nacross lines" in line["exception"]


def test_json_lines_redact_secret_keys_and_drop_a_refusals_traceback(json_log):
    logging.getLogger("django.request").warning("Not Found: %s", KEY_URL, extra={"status_code": 404})
    logging.getLogger("django.request").handle(_record(403))
    not_found, refusal = json_log()
    assert not_found["message"] == "Not Found: /accounts/password/reset/key/3-[redacted]/"
    assert not_found["status_code"] == 404 and "cf1b7a" not in json.dumps(not_found)
    assert refusal["status_code"] == 403 and "exception" not in refusal


def test_an_unknown_log_format_stops_the_start():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test", "LOG_FORMAT": "xml"}
    started = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True)
    assert started.returncode != 0 and "LOG_FORMAT is plain or json, not 'xml'" in started.stderr
