"""PostgreSQL restarted under load: requests fail only while it is down, then the same server answers again
(its pooled connections are health-checked and replaced), with no restart of the app."""

import threading
import time

import pytest
import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from tests.factories import UserFactory

from .processes import (
    BASE_DIR,
    PYTHON,
    Postgres,
    Process,
    children,
    database_url_under_test,
    free_port,
    listening,
    wait_until,
)

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CLIENTS = 4
RECOVERY_SECONDS = 5


def test_requests_recover_within_seconds_of_a_database_restart(tmp_path):
    # given: a signed-in agent, copied with the schema into our own PostgreSQL, and the portal served from it
    # as in production (gunicorn, persistent connections with health checks)
    agent = UserFactory(role="agent")
    session = SessionStore()  # in the database, as the server keeps them without a cache
    session.update(
        {
            SESSION_KEY: str(agent.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: agent.get_session_auth_hash(),
        }
    )
    session.create()
    database, port = Postgres(), free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base",
        "DATABASE_URL": database.url,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_HTTPS": "false",  # the key signs the session's user
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = [
        PYTHON,
        "-m",
        "gunicorn",
        "supportdesk.wsgi:application",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    server = None
    url = f"http://127.0.0.1:{port}/api/tickets/"
    answers: list[tuple[int, float, float, int]] = []  # client, sent, answered, status
    stop = threading.Event()

    def load(client: int) -> None:
        with requests.Session() as http:
            http.cookies.set(settings.SESSION_COOKIE_NAME, session.session_key)
            while not stop.is_set():
                sent = time.monotonic()
                try:
                    status = http.get(url, timeout=10).status_code
                except requests.RequestException:
                    status = 0  # no answer at all
                answers.append((client, sent, time.monotonic(), status))

    def all_answered_after(moment: float) -> bool:
        latest = {client: (sent, status) for client, sent, _, status in answers}
        return len(latest) == CLIENTS and all(sent > moment and status == 200 for sent, status in latest.values())

    threads = [threading.Thread(target=load, args=[client]) for client in range(CLIENTS)]
    try:
        database.copy_from(database_url_under_test())
        server = Process(gunicorn, env=env, cwd=BASE_DIR, log=tmp_path / "server.log")
        wait_until(lambda: listening(port), seconds=30, what="the server listening")
        for thread in threads:
            thread.start()
        wait_until(lambda: len(answers) > 50, seconds=30, what="requests answered")
        workers = children(server.popen.pid)  # both booted by now
        # when: PostgreSQL restarts under the load
        restart_began = time.monotonic()
        database.restart()
        restarted = time.monotonic()
        # then: requests are answered again within seconds, by the same server processes
        recovered_after = wait_until(
            lambda: all_answered_after(restarted), seconds=RECOVERY_SECONDS, step=0.05, what="every client served"
        )
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        alive = server is not None and server.alive()
        workers_after = children(server.popen.pid) if alive else set()
        if server:
            server.kill()
        database.stop()

    before = [status for _, _, answered, status in answers if answered < restart_began]
    failed = [status for _, _, answered, status in answers if answered >= restart_began and status != 200]
    settled = [status for _, sent, _, status in answers if sent > restarted + recovered_after]
    assert before and set(before) == {200}
    assert settled and set(settled) == {200}
    assert alive and workers_after == workers  # no restart of the app, nor of a gunicorn worker
    print(
        f"\nPostgreSQL restarted in {restarted - restart_began:.2f} s under {CLIENTS} clients: {len(failed)} requests"
        f" failed ({sorted(set(failed))}), all answered 200 again {recovered_after:.2f} s after it was back"
    )
