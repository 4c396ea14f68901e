"""python -m tools.bench.paging: from a SEV1 filed to the first page sent, with a Celery worker running.

A SEV1 ticket is filed in a queue whose rule starts "page the on-call now"; the on-call's rules say SMS at once. The
path measured is the real one: the filing commits, the escalation step goes through the broker (Redis) to a worker,
which pages the on-call (the page and its outbox row commit), the delivery task goes through the broker again, and
the worker sends the SMS to AWS End User Messaging SMS and Voice: here a local stand-in answering SendTextMessage,
which notes when each message arrives. Latency is from just before the filing to the SMS's arrival. Tickets are
filed one at a time, each once the previous one's SMS arrived. Results go to var/bench/paging.md.
"""

import argparse
import json
import operator
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .ingest import _database_fresh, _free_port

BASE_DIR = Path(__file__).resolve().parents[2]
OUT = BASE_DIR / "var" / "bench" / "paging.md"
TARGET_SECONDS = 5.0
_REFERENCE = re.compile(r"^([A-Z]+-\d+) ")


class _Phone(ThreadingHTTPServer):
    """SendTextMessage's stand-in: answers as the service does and notes when each ticket's SMS arrived."""

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.arrived: dict[str, float] = {}
        self.event = threading.Condition()


class _Handler(BaseHTTPRequestHandler):
    server: _Phone

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        target = self.headers.get("X-Amz-Target", "")
        if target.endswith(".SendTextMessage") and (match := _REFERENCE.match(body.get("MessageBody", ""))):
            with self.server.event:
                self.server.arrived.setdefault(match.group(1), time.perf_counter())
                self.server.event.notify_all()
        answer = json.dumps({"MessageId": f"bench-{time.monotonic_ns()}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args) -> None:
        pass


def _worker(concurrency: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "supportdesk", "worker", "--loglevel", "WARNING"]
    return subprocess.Popen(
        [*command, "--concurrency", str(concurrency), "--without-heartbeat"],
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _worker_ready(seconds: float = 60) -> None:
    from celery import current_app

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if current_app.control.ping(timeout=1):
            return
    raise SystemExit("the Celery worker did not start")


def _last_monday():
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    return today - timedelta(days=today.weekday() + 7)  # a handoff weekday, a week ago


def _seed():
    """A queue with an on-call whose rules say SMS at once, and a rule paging the on-call for SEV1 and SEV2."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from accounts.roles import Role, user_set_role
    from escalation.models import EscalationPolicy, EscalationStep
    from oncall.models import Layer, LayerMember, Schedule
    from paging.models import ContactMethod, NotificationRule
    from rules.models import Rule
    from tickets.models import Queue, QueueMember, Severity

    users = get_user_model().objects
    requester = users.create_user(email="requester@example.com")
    oncall = users.create_user(email="oncall@example.com", first_name="Jo", last_name="Bench")
    user_set_role(user=oncall, role=Role.AGENT)
    queue = Queue.objects.create(name="Payments", slug="payments")
    QueueMember.objects.create(queue=queue, user=oncall)
    layer = Layer.objects.create(
        schedule=Schedule.objects.create(queue=queue), position=1, name="Primary", start_date=_last_monday()
    )
    LayerMember.objects.create(layer=layer, user=oncall, position=0)
    ContactMethod.objects.create(user=oncall, medium="sms", phone="+12065550101", verified_at=timezone.now())
    NotificationRule.objects.create(user=oncall, band="urgent", delay=timedelta(0), medium="sms")
    policy = EscalationPolicy.objects.create(name="Page the on-call now")
    EscalationStep.objects.create(policy=policy, position=1, delay=timedelta(0), action="notify_oncall")
    Rule.objects.create(name="SEV1 pages", min_severity=Severity.objects.get(rank=1), start_escalation=policy)
    return requester, queue, Severity.objects.get(rank=1)


def _p99(latencies: list[float]) -> float:
    # inclusive: within the measured range (the default, exclusive, extrapolates past the maximum)
    return statistics.quantiles(latencies, n=100, method="inclusive")[98] if len(latencies) > 1 else latencies[0]


def _report(latencies: list[float], lost: int, args: argparse.Namespace, load: tuple) -> str:
    median, p99 = statistics.median(latencies), _p99(latencies)
    before, after = load
    verdict = "within" if p99 < TARGET_SECONDS else "OVER"
    lines = [
        f"# Paging: a SEV1 filed to its first page sent ({len(latencies)} tickets, one at a time)",
        "",
        "| median | p99 | max | lost | target |",
        "|---:|---:|---:|---:|---|",
        f"| {median:.2f} s | {p99:.2f} s | {max(latencies):.2f} s | {lost} | p99 under {TARGET_SECONDS:.0f} s: "
        f"{verdict} |",
        "",
        f"One Celery worker (prefork, concurrency {args.concurrency}) on Redis; the filing, the escalation step, "
        "the page and the SMS delivery as in production, two broker hops; SendTextMessage answered by a local "
        f"stand-in. {os.cpu_count()} cores; load average (1, 5, 15 min) {before[0]:.2f} {before[1]:.2f} "
        f"{before[2]:.2f} before, {after[0]:.2f} {after[1]:.2f} {after[2]:.2f} after.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.paging")
    parser.add_argument("--tickets", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one page")
    args = parser.parse_args(argv)
    database_url = os.environ.get(
        "BENCH_PAGING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk_bench_paging"
    )
    port = _free_port()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base",
            "DATABASE_URL": database_url,
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-7f3a9c1e5b",
            "DJANGO_DEBUG": "false",
            "CACHE_URL": os.environ.get("BENCH_PAGING_CACHE_URL", "redis://127.0.0.1:6379/2"),
            "CELERY_BROKER_URL": os.environ.get("BENCH_PAGING_BROKER_URL", "redis://127.0.0.1:6379/2"),
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "SMS_ORIGINATION_IDENTITY": "+12065550100",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    _database_fresh(database_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, check=True)
    phone = _Phone(port)
    threading.Thread(target=phone.serve_forever, daemon=True).start()
    import django

    django.setup()
    from celery import current_app

    current_app.control.purge()  # nothing left over from an earlier run
    worker = _worker(args.concurrency)
    try:
        _worker_ready()
        from tickets import services

        requester, queue, sev1 = _seed()
        latencies, lost = [], 0
        load_before = os.getloadavg()
        for n in range(args.tickets):
            started = time.perf_counter()
            ticket = services.ticket_create(requester=requester, title=f"Checkout down {n}", severity=sev1, queue=queue)
            reference = ticket.reference
            with phone.event:
                arrived = phone.event.wait_for(partial(operator.contains, phone.arrived, reference), args.timeout)
            if arrived:
                latencies.append(phone.arrived[reference] - started)
            else:
                lost += 1
        load_after = os.getloadavg()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        phone.shutdown()
    if not latencies:
        print("no page arrived")
        return 1
    text = _report(latencies, lost, args, (load_before, load_after))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(text)
    return 0 if lost == 0 and _p99(latencies) < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
