"""python -m tools.bench.notify: outbox delivery throughput to SNS, against a moto server on this machine.

Enqueues N notifications to an SNS topic (each a notify() in its own transaction, as a rule or an escalation step
calls it inside a ticket change), then delivers them as Celery workers would: worker processes, each running the
delivery service one notification at a time. Once with one worker, once with --workers. A subscriber reads the
SQS queue subscribed to the topic as messages arrive and counts them: as many messages as notifications sent means
each arrived once. Results go to var/bench/notify.md.

The moto server runs in its own process, standing in for SNS across the network; it publishes to the SQS
subscription inside each request, so a publish costs more than a bare one would.
"""

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3

from .ingest import _database_fresh, _free_port

BASE_DIR = Path(__file__).resolve().parents[2]
OUT = BASE_DIR / "var" / "bench" / "notify.md"
TICKETS = 100  # notifications are spread over this many tickets


@dataclass
class Run:
    workers: int
    notifications: int
    enqueue_seconds: float
    enqueue_queries: int
    deliver_seconds: float
    deliver_queries: int
    latencies_ms: list[float]
    sent: int
    received: int


class _QueryCounter:
    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute, statement, params, many, context):
        self.queries += 1
        return execute(statement, params, many, context)


def _moto_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"the moto server did not start on port {port}")


class _Subscriber(threading.Thread):
    """Takes messages off the topic's SQS queue as they arrive and counts them, as a subscriber would. Left there,
    they would slow moto: each publish to a subscribed queue costs more with every message it holds (3 ms on a
    topic alone, 10 ms with an empty queue subscribed, 40 ms once it holds 2,000)."""

    def __init__(self, queue_url: str, endpoint: str) -> None:
        super().__init__(daemon=True)
        self.sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
        self.queue_url, self.received, self.done = queue_url, 0, threading.Event()

    def run(self) -> None:
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            messages = batch.get("Messages", [])
            if not messages and self.done.is_set():
                return
            if messages:
                entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
                self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
                self.received += len(messages)

    def stop(self) -> int:
        """Once the queue is empty: how many messages arrived."""
        self.done.set()
        self.join()
        return self.received


def _deliver(ids: list[int]) -> tuple[int, list[float]]:
    """One worker's share, as a Celery worker process runs it: SQL queries, and each delivery's milliseconds."""
    from django.db import connection

    from notifications import services

    counter, latencies = _QueryCounter(), []
    with connection.execute_wrapper(counter):
        for pk in ids:
            started = time.perf_counter()
            services.notification_deliver(notification_id=pk)
            latencies.append((time.perf_counter() - started) * 1000)
    connection.close()
    return counter.queries, latencies


def _round(workers: int, args: argparse.Namespace, tickets: list, queue_url: str, endpoint: str) -> Run:
    from django.db import connection, connections, transaction

    from notifications import services
    from notifications.models import Notification

    since = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    counter = _QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        for n in range(args.notifications):
            with transaction.atomic():
                services.notify(ticket=tickets[n % len(tickets)], reason="Benchmark", key=f"bench:{since}:{n}")
    enqueue_seconds = time.perf_counter() - started
    ids = list(Notification.objects.filter(pk__gt=since).order_by("pk").values_list("pk", flat=True))
    shares = [ids[n::workers] for n in range(workers)]
    connections.close_all()  # each forked worker opens its own
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        subscriber = _Subscriber(queue_url, endpoint)  # started after the fork: workers get no copy of it
        subscriber.start()
        started = time.perf_counter()
        results = pool.map(_deliver, shares)
        deliver_seconds = time.perf_counter() - started
    received = subscriber.stop()
    sent = Notification.objects.filter(pk__gt=since, status="sent").count()
    return Run(
        workers=workers,
        notifications=len(ids),
        enqueue_seconds=enqueue_seconds,
        enqueue_queries=counter.queries,
        deliver_seconds=deliver_seconds,
        deliver_queries=sum(q for q, _ in results),
        latencies_ms=[ms for _, share in results for ms in share],
        sent=sent,
        received=received,
    )


def _report(runs: list[Run], load: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    lines = [
        f"# Outbox delivery to SNS: {runs[0].notifications} notifications per run (moto server, standard topic with "
        "an SQS subscription)",
        "",
        "| workers | enqueue /s | queries per notify() | delivered /s | queries per delivery | p50 / p99 ms "
        "| sent | received |",
        "|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in runs:
        p = statistics.quantiles(r.latencies_ms, n=100)
        lines.append(
            f"| {r.workers} | {r.notifications / r.enqueue_seconds:.0f} | {r.enqueue_queries / r.notifications:.1f} "
            f"| {r.notifications / r.deliver_seconds:.0f} | {r.deliver_queries / r.notifications:.1f} "
            f"| {p[49]:.1f} / {p[98]:.1f} | {r.sent} | {r.received} |"
        )
    before, after = load
    lines += [
        "",
        f"{os.cpu_count()} cores; load average (1, 5, 15 min) {before[0]:.2f} {before[1]:.2f} {before[2]:.2f} "
        f"before, {after[0]:.2f} {after[1]:.2f} {after[2]:.2f} after. PostgreSQL and the moto server share the "
        "cores with the workers and the subscriber that drains the SQS queue. Queries are SQL statements, BEGIN "
        "and COMMIT aside: a notify() reads the queue's channels and inserts its row; a delivery locks the row, "
        "publishes, updates the row and adds the timeline event.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.notify")
    parser.add_argument("--notifications", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes, as Celery's prefork pool runs")
    args = parser.parse_args(argv)
    database_url = os.environ.get(
        "BENCH_NOTIFY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk_bench_notify"
    )
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base",
            "DATABASE_URL": database_url,
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-7f3a9c1e5b",
            "DJANGO_DEBUG": "false",
            "CACHE_URL": os.environ.get("BENCH_NOTIFY_CACHE_URL", "redis://127.0.0.1:6379/6"),
            "CELERY_BROKER_URL": "memory://localhost/",  # workers here take pending rows; none leave
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    _database_fresh(database_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, check=True)
    server = _moto_server(port)
    try:
        import django

        django.setup()
        from django.contrib.auth import get_user_model

        from notifications.models import Channel, QueueChannel
        from tests.notifications.moto_sns import topic_with_queue
        from tickets import services
        from tickets.models import Queue, Severity

        queue, severity = Queue.objects.get(is_default=True), Severity.objects.get(name="SEV2")
        requester = get_user_model().objects.create_user(email="bench@example.com")
        tickets = [
            services.ticket_create(requester=requester, title=f"Bench {n}", severity=severity, queue=queue)
            for n in range(TICKETS)
        ]
        topic, queue_url = topic_with_queue("bench", endpoint_url=endpoint)
        channel = Channel.objects.create(name="Bench", kind=Channel.Kind.SNS, topic_arn=topic)
        QueueChannel.objects.create(queue=queue, channel=channel)  # after the tickets: their creation tells no one
        load_before = os.getloadavg()
        runs = [_round(w, args, tickets, queue_url, endpoint) for w in dict.fromkeys([1, args.workers])]
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=10)
    text = _report(runs, (load_before, load_after))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(text)
    # every row sent (so published at least once) and as many messages as rows: each arrived once
    return 0 if all(r.sent == r.received == r.notifications for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
