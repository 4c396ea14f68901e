"""The health endpoints as a load balancer, the compose file and Kubernetes probes use them: over plain HTTP, with
the pod's address as Host, no cookie; readiness fails (503, JSON naming the check) when the database, cache or
broker is unreachable or a migration is unapplied, and says nothing about hosts or credentials."""

import subprocess
import sys
import time

import pytest
import requests
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from supportdesk import health

from .fault.processes import BASE_DIR, django_env, free_port, wait_until

pytestmark = pytest.mark.django_db

POD = {"HTTP_HOST": "10.42.0.17:8000"}  # a probe's Host: the pod's address, in no ALLOWED_HOSTS


@pytest.fixture(autouse=True)
def _migrations_unchecked(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


@pytest.mark.parametrize("path", ["/health/live", "/healthz"])
def test_live_answers_ok_without_touching_the_database(client, path, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(path, **POD)
    assert (response.status_code, response.content) == (200, b"ok")


def test_ready_lists_every_check_with_its_state_and_time(client):
    response = client.get("/health/ready", **POD)
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ready"
    assert set(body["checks"]) == {"database", "cache", "broker", "migrations"}
    assert all(check["ok"] and check["ms"] >= 0 for check in body["checks"].values())
    assert response["Cache-Control"] == "no-store"


def test_migrations_are_checked_until_they_are_applied_then_not_per_probe(client, django_assert_num_queries):
    client.get("/health/ready", **POD)
    with django_assert_num_queries(1):  # SELECT 1; not the migration history again
        assert client.get("/health/ready", **POD).status_code == 200


def test_an_unapplied_migration_makes_it_not_ready(client):
    # given: the database lacks the newest tickets migration (its row gone from the history)
    recorder = MigrationRecorder(connection)
    newest = recorder.migration_qs.filter(app="tickets").order_by("-name").first()
    newest.delete()
    # when
    response = client.get("/health/ready", **POD)
    # then
    checks = response.json()["checks"]
    assert response.status_code == 503 and response.json()["status"] == "not ready"
    assert checks["migrations"] == {"ok": False, "error": "LookupError", "ms": checks["migrations"]["ms"]}
    assert checks["database"]["ok"] and checks["broker"]["ok"] and checks["cache"]["ok"]


def test_a_broker_nobody_listens_on_makes_it_not_ready_within_seconds(client, monkeypatch):
    from supportdesk.celery import app

    monkeypatch.setitem(app.conf, "broker_write_url", f"redis://127.0.0.1:{free_port()}/0")
    started = time.monotonic()
    response = client.get("/health/ready", **POD)
    assert time.monotonic() - started < 5
    checks = response.json()["checks"]
    assert response.status_code == 503 and not checks["broker"]["ok"]
    assert checks["database"]["ok"] and checks["cache"]["ok"]


def test_a_cache_nobody_listens_on_makes_it_not_ready(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "supportdesk.cache.FailSoftRedisCache", "LOCATION": f"redis://127.0.0.1:{free_port()}/1"}
    }
    response = client.get("/health/ready", **POD)
    checks = response.json()["checks"]
    assert response.status_code == 503 and not checks["cache"]["ok"]
    assert checks["database"]["ok"] and checks["broker"]["ok"]


def test_probes_over_plain_http_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/tickets/").status_code == 301  # pages go to HTTPS
    assert client.get("/tickets/", **POD).status_code == 400  # the host check still guards every page
    assert client.get("/health/live", **POD).status_code == 200
    assert client.get("/health/ready", **POD).status_code == 200


def test_a_process_whose_database_cache_and_broker_are_down_is_live_but_not_ready():
    # given: gunicorn started with every service on a port nobody listens on (a password in the database's URL)
    port, closed = free_port(), free_port()
    env = django_env(
        DATABASE_URL=f"postgres://supportdesk:s3cret-pw@127.0.0.1:{closed}/supportdesk",
        CACHE_URL=f"redis://127.0.0.1:{closed}/1",
        CELERY_BROKER_URL=f"redis://:s3cret-pw@127.0.0.1:{closed}/0",
        LOG_FORMAT="json",
    )
    command = [sys.executable, "-m", "gunicorn", "supportdesk.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(f"{base}/health/live"), seconds=60, what="gunicorn answering")
        # when
        started = time.monotonic()
        ready = requests.get(f"{base}/health/ready", headers={"Host": "10.42.0.17"}, timeout=15)
        took = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(20)
    # then: each down service named, no host, port or password in the answer, within a probe's timeout
    checks = ready.json()["checks"]
    assert ready.status_code == 503 and took < 10
    assert {name for name, check in checks.items() if not check["ok"]} == {"database", "cache", "broker", "migrations"}
    assert "s3cret" not in ready.text and str(closed) not in ready.text and "127.0.0.1" not in ready.text


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False
