"""Redis stopped while people file and read tickets: a real gunicorn and Celery worker use redis-servers of the
test's own (on spare ports) as cache, session store and broker, and the test database; the broker stops, then the
cache too, for a few seconds, then both come back. Nobody sees a 5xx or an HTML error from the API, no ticket is
lost, and each ticket's notification reaches its webhook once."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.roles import Role
from notifications.models import Channel, Notification, QueueChannel
from tickets.models import Queue, Ticket

from .factories import UserFactory

# serialized_rollback: its flush must not re-seed roles in another order under the next serialized test
pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUTAGE_SECONDS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, requests.RequestException):
            pass
        time.sleep(0.1)
    raise AssertionError(f"Timed out waiting for {what}")


class RedisServer:
    """A redis-server of this test's own, persisting as the production compose does (appendonly)."""

    def __init__(self, folder: Path) -> None:
        self.port, self.folder, self.process = free_port(), folder, None

    def start(self) -> None:
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder), "--appendonly", "yes"]
        self.process = subprocess.Popen(["redis-server", *options, "--save", ""], stdout=subprocess.DEVNULL)
        wait_for(
            lambda: socket.create_connection(("127.0.0.1", self.port), 0.2).close() or True,
            timeout=10,
            what="redis-server",
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class Webhook(BaseHTTPRequestHandler):
    """Counts each delivery by its X-Supportdesk-Delivery (the notification's key)."""

    received: Counter

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.received[self.headers["X-Supportdesk-Delivery"]] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def webhook():
    handler = type("Receiver", (Webhook,), {"received": Counter()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", handler.received
    server.shutdown()


@pytest.fixture
def portal(tmp_path):
    """Two Redis (cache and sessions; broker), gunicorn and a Celery worker, on the test database; the compose runs
    one Redis for both, and this stops both together, or the broker alone."""
    redis = {"cache": RedisServer(tmp_path / "cache"), "broker": RedisServer(tmp_path / "broker")}
    for server in redis.values():
        server.folder.mkdir()
        server.start()
    db = connection.settings_dict
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis["broker"].url(0),
        "CACHE_URL": redis["cache"].url(1),
        "CELERY_BROKER_URL": redis["broker"].url(0),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    port = free_port()
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("web", "worker", "sweep")}  # noqa: SIM115
    processes = [
        subprocess.Popen(
            [
                BIN / "gunicorn",
                "supportdesk.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--preload",
                "--timeout",
                "30",
            ],
            cwd=ROOT,
            env=env,
            stdout=logs["web"],
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [
                BIN / "celery",
                "-A",
                "supportdesk",
                "worker",
                "--pool",
                "solo",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        ),
    ]
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: requests.get(f"{base}/healthz", timeout=1).ok, timeout=60, what="gunicorn")

    def sweep() -> None:
        # beat's sweep, run now as if its SWEEP_AFTER had passed: it re-queues what the outage left pending
        code = (
            "from django.utils import timezone; from notifications.services import notifications_sweep; "
            "from notifications.retries import SWEEP_AFTER; "
            "print('re-queued', notifications_sweep(now=timezone.now() + SWEEP_AFTER))"
        )
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=logs["sweep"],
            stderr=subprocess.STDOUT,
            timeout=60,
        )

    yield base, redis, sweep
    processes[0].send_signal(signal.SIGINT)  # gunicorn's quick shutdown
    processes[1].send_signal(signal.SIGQUIT)  # the worker's cold shutdown: everything it had is done
    for process in processes:
        process.wait(20)
    for server in redis.values():
        if server.process.poll() is None:
            server.stop()
    for log in logs.values():
        log.close()


def test_a_redis_outage_answers_no_5xx_loses_no_ticket_and_delivers_each_notification_once(portal, webhook):
    # given: a requester signed in (a session cookie for the pages, a token for the API), and a webhook on the
    # default queue, which hears every new ticket
    base, redis, sweep = portal
    url, received = webhook
    requester = UserFactory(role=Role.REQUESTER)
    channel = Channel.objects.create(
        name="Hook", kind=Channel.Kind.WEBHOOK, webhook_url=url, webhook_secret="a-secret-of-sixteen-chars"
    )
    QueueChannel.objects.create(queue=Queue.objects.get(is_default=True), channel=channel)
    signed_in = Client()
    signed_in.force_login(requester)
    pages = requests.Session()
    pages.cookies.set(settings.SESSION_COOKIE_NAME, signed_in.cookies[settings.SESSION_COOKIE_NAME].value)
    api = requests.Session()
    api.headers["Authorization"] = f"Token {Token.objects.create(user=requester).key}"
    answers: list[tuple[str, str, int, str, float]] = []  # phase, what, status, content type, seconds
    filed: list[str] = []

    def file_and_read(phase: str, n: int) -> None:
        def call(what: str, session: requests.Session, method: str, path: str, **kwargs) -> requests.Response:
            started = time.monotonic()
            response = session.request(method, base + path, timeout=15, allow_redirects=False, **kwargs)
            answers.append(
                (
                    phase,
                    what,
                    response.status_code,
                    response.headers.get("Content-Type", ""),
                    time.monotonic() - started,
                )
            )
            return response

        created = call("api file", api, "POST", "/api/tickets/", json={"title": f"{phase} {n}", "severity": "SEV3"})
        if created.status_code == 201:
            filed.append(created.json()["reference"])
        call("api list", api, "GET", "/api/tickets/")
        call("page list", pages, "GET", "/tickets/")
        if filed:
            call("api detail", api, "GET", f"/api/tickets/{filed[-1]}/")
            call("page detail", pages, "GET", f"/tickets/{filed[-1]}/")

    def during(phase: str, seconds: float) -> None:
        started, n = time.monotonic(), 0
        while time.monotonic() - started < seconds:
            file_and_read(phase, n)
            n += 1

    # when: tickets are filed and read before, while the broker alone is down, while all of Redis is, and after
    for n in range(3):
        file_and_read("before", n)
    redis["broker"].stop()
    during("broker down", OUTAGE_SECONDS / 2)
    redis["cache"].stop()
    during("redis down", OUTAGE_SECONDS)
    for server in redis.values():
        server.start()
    for n in range(3):
        file_and_read("after", n)
    sweep()

    # then: no 5xx, the API answered JSON, every ticket filed is there, each notification went once
    for phase in ("broker down", "redis down"):
        seen = [a for a in answers if a[0] == phase]
        bad = [a for a in seen if a[2] >= 500 or (a[1].startswith("api") and a[3] != "application/json")]
        writes = sorted(a[4] for a in seen if a[1] == "api file")
        statuses = dict(sorted(Counter(a[2] for a in seen).items()))
        print(
            f"\n{phase}: {len(seen)} requests {statuses}, {len(bad)} 5xx or HTML from the API; "
            f"writes median {writes[len(writes) // 2]:.3f} s; slowest {max(a[4] for a in seen):.2f} s"
        )
    outage = [a for a in answers if a[0].endswith(" down")]
    slowest = max(a[4] for a in outage)
    assert {a[0] for a in outage} == {"broker down", "redis down"} and len(outage) >= 20
    assert slowest < 2  # a write used to wait 6 s on the broker
    assert [a for a in answers if a[2] >= 500] == []
    assert [a for a in answers if a[2] not in (200, 201)] == []  # signed in throughout: no redirect to sign in
    assert {a[3] for a in answers if a[1].startswith("api")} == {"application/json"}
    assert sorted(t.reference for t in Ticket.objects.all()) == sorted(filed)
    assert len(filed) == sum(1 for a in answers if a[1] == "api file")  # every one filed
    keys = set(Notification.objects.values_list("key", flat=True))
    assert len(keys) == len(filed)
    wait_for(lambda: set(received) == keys, timeout=60, what="every notification to reach the webhook")
    wait_for(lambda: not Notification.objects.exclude(status="sent").exists(), timeout=10, what="rows marked sent")
    assert set(received.values()) == {1}
    print(f"{len(filed)} tickets filed, {len(keys)} notifications delivered once")
