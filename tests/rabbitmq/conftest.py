"""RabbitMQ as the broker: a virtual host of the test's own on the machine's RabbitMQ (RABBITMQ_URL,
`scripts/ensure-services` starts it), real Celery workers on it, and a webhook that counts what reaches it.

Each test gets a fresh virtual host, deleted after it with everything in it (our six queues, Celery's delayed-delivery
exchanges and queues): parallel runs do not meet, and the machine's RabbitMQ keeps nothing of ours. The queue names
are the real ones, so the routes and the workers' ``-Q`` are exercised as deployed."""

import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from supportdesk.queues import QUEUES
from tests.fault.processes import BASE_DIR, Process, database_url_under_test, django_env, wait_until

RABBITMQ_URL = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


def rabbitmqctl(*args: str) -> str:
    binary = shutil.which("rabbitmqctl")
    if binary is None:
        pytest.fail("rabbitmqctl is missing: these tests make a virtual host of their own (Debian's rabbitmq-server).")
    result = subprocess.run([binary, "-q", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@dataclass
class VirtualHost:
    name: str

    @property
    def url(self) -> str:
        parts = urlsplit(RABBITMQ_URL)
        return f"{parts.scheme}://{parts.netloc}/{quote(self.name, safe='')}"

    def queues(self) -> dict[str, dict[str, str]]:
        """Name → type, durable, messages ready and unacknowledged, as the broker reports them."""
        columns = ["name", "type", "durable", "messages_ready", "messages_unacknowledged"]
        rows = rabbitmqctl("list_queues", "-p", self.name, "--no-table-headers", *columns).splitlines()
        return {row.split("\t")[0]: dict(zip(columns[1:], row.split("\t")[1:], strict=True)) for row in rows}


@pytest.fixture
def vhost() -> Iterator[VirtualHost]:
    host = VirtualHost(f"supportdesk-test-{uuid.uuid4().hex[:12]}")
    user = urlsplit(RABBITMQ_URL).username or "guest"
    rabbitmqctl("add_vhost", host.name)
    try:
        rabbitmqctl("set_permissions", "-p", host.name, user, ".*", ".*", ".*")
        yield host
    finally:
        rabbitmqctl("delete_vhost", host.name)


@dataclass
class Portal:
    """Django processes on the test database with RabbitMQ (the virtual host) as the broker."""

    broker_url: str
    logs: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: list[Process] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.env = django_env(
            DATABASE_URL=database_url_under_test(), CELERY_BROKER_URL=self.broker_url, **self.env, LOG_LEVEL="INFO"
        )

    def worker(self) -> Process:
        """A worker on every queue (one process in its pool), ready to take tasks."""
        n = len(self.workers)
        log = self.logs / f"worker-{n}.log"
        args = [sys.executable, "-m", "celery", "-A", "supportdesk", "worker", "-Q", ",".join(QUEUES)]
        args += ["--concurrency", "1", "--loglevel", "INFO", "-n", f"rabbitmq-test-{n}@%h"]
        worker = Process(args, env=self.env, log=log, cwd=BASE_DIR)
        self.workers.append(worker)
        wait_until(lambda: re.search(r"rabbitmq-test-\d+@\S+ ready", log.read_text()), seconds=30, what="the worker")
        return worker

    def run(self, code: str) -> str:
        """Python run in a Django process of its own, as a web request would be: what it prints."""
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout.strip()

    def stop(self) -> None:
        for worker in self.workers:
            worker.kill()


@pytest.fixture
def portal(vhost, tmp_path) -> Iterator[Callable[..., Portal]]:
    made: list[Portal] = []

    def make(**env: str) -> Portal:
        made.append(Portal(broker_url=vhost.url, logs=tmp_path, env=env))
        return made[-1]

    yield make
    for p in made:
        p.stop()


@dataclass
class Webhook:
    url: str
    attempts: Counter  # requests begun, by X-Supportdesk-Delivery
    accepted: Counter  # answered 204
    release_first: threading.Event  # cleared: the first request is never answered (its worker is killed)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A receiver that counts deliveries; it may leave the first request unanswered (a worker killed mid-send)."""
    attempts: Counter = Counter()
    accepted: Counter = Counter()
    release = threading.Event()
    release.set()
    lock = threading.Lock()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            key = self.headers["X-Supportdesk-Delivery"]
            with lock:
                attempts[key] += 1
                first = sum(attempts.values()) == 1
            if first and not release.is_set():
                release.wait(timeout=30)
                return  # never answered: its worker is killed meanwhile
            self.send_response(204)
            self.end_headers()
            with lock:
                accepted[key] += 1

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Webhook(f"http://127.0.0.1:{server.server_port}/hook", attempts, accepted, release)
    release.set()
    server.shutdown()
