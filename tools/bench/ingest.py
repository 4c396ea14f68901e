"""python -m tools.bench.ingest: one poll of every account against the AWS sandbox in scale mode, then a re-poll
that finds nothing changed.

Measures what issue 4 asks: wall time, SQL queries, rows written and peak memory for Trusted Advisor and Health
over 50 accounts, 10,000 flagged resources and 1,000 Health events (target: first run under 10 s, re-run
writes nothing but its poll records). The database is made afresh each run so the first poll is a first poll.
Results go to var/bench/ingest.md.
"""

import argparse
import multiprocessing
import multiprocessing.pool
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

BASE_DIR = Path(__file__).resolve().parents[2]
OUT = BASE_DIR / "var" / "bench" / "ingest.md"
FIRST_ACCOUNT = 300_000_000_000  # the sandbox's scale-mode account ids count up from here
WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass
class Run:
    name: str
    seconds: float
    queries: int
    writes: int
    poll_record_writes: int
    peak_mib: float
    opened: int
    updated: int
    resolved: int
    errors: int


def _free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with closing(socket.socket()) as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"the sandbox did not start on port {port}")


def _database_fresh(url: str) -> None:
    name = str(conninfo_to_dict(url)["dbname"])
    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


class _QueryCounter:
    def __init__(self) -> None:
        self.queries = self.writes = self.poll_record_writes = 0

    def __call__(self, execute, statement, params, many, context):
        self.queries += 1
        if statement.lstrip().upper().startswith(WRITES):
            if "integrations_pollrun" in statement:
                self.poll_record_writes += 1
            else:
                self.writes += 1
        return execute(statement, params, many, context)


def accounts_register(numbers: Iterable[int]) -> list[int]:
    """Register the sandbox's scale-mode accounts ``numbers`` (enterprise plan, the first queue as owner); their
    primary keys, in order."""
    from integrations.models import AwsAccount
    from tickets.models import Queue

    queue = Queue.objects.order_by("pk").first()
    account_ids = [str(FIRST_ACCOUNT + n) for n in numbers]
    AwsAccount.objects.bulk_create(
        AwsAccount(
            account_id=account_id,
            name=f"Benchmark {int(account_id) - FIRST_ACCOUNT:04d}",
            owner_queue=queue,
            support_plan="enterprise",
            role_arn=f"arn:aws:iam::{account_id}:role/SupportdeskRead",
        )
        for account_id in account_ids
    )
    return list(AwsAccount.objects.filter(account_id__in=account_ids).order_by("pk").values_list("pk", flat=True))


def _poll_accounts(account_ids: list[int]) -> tuple[int, int, int]:
    """One worker's share, as a Celery worker process would run it: queries, writes, poll-record writes."""
    from django.db import connection

    from integrations.findings import services as findings_services
    from integrations.health import services as health_services
    from integrations.models import AwsAccount

    counter = _QueryCounter()
    with connection.execute_wrapper(counter):
        for account in AwsAccount.objects.select_related("owner_queue").filter(pk__in=account_ids):
            findings_services.trusted_advisor_poll(account=account)
            health_services.health_poll(account=account)
    connection.close()
    return counter.queries, counter.writes, counter.poll_record_writes


def _run(name: str, workers: "multiprocessing.pool.Pool", shares: list[list[int]]) -> Run:
    from integrations.models import PollRun

    since = PollRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    started = time.perf_counter()
    results = workers.map(_poll_accounts, shares)
    seconds = time.perf_counter() - started
    polls = PollRun.objects.filter(pk__gt=since)
    totals = [sum(polls.values_list(field, flat=True)) for field in ("opened", "updated", "resolved", "errors")]
    queries, writes, records = (sum(r[i] for r in results) for i in range(3))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker, kilobytes on Linux
    return Run(name, seconds, queries, writes, records, peak, *totals)


def _report(runs: list[Run], args: argparse.Namespace) -> str:
    lines = [
        f"# Ingestion benchmark: {args.accounts} accounts, {args.resources} flagged resources, "
        f"{args.events} Health events (sandbox; {args.workers} worker processes share the accounts, as Celery's "
        "prefork pool would)",
        "",
        "| run | wall time | SQL queries | rows written (excl. poll records) | poll records | peak RSS of a worker "
        "| opened | updated | resolved | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.name} | {r.seconds:.2f} s | {r.queries} | {r.writes} | {r.poll_record_writes} "
            f"| {r.peak_mib:.1f} MiB | {r.opened} | {r.updated} | {r.resolved} | {r.errors} |"
        )
    lines += [
        "",
        "Peak memory is the largest worker's resident set (Django, boto3 and the data); it should not grow "
        "with the number of resources, as each check's resources are applied a page at a time.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.ingest")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes, as Celery's prefork pool runs")
    args = parser.parse_args(argv)
    database_url = os.environ.get(
        "BENCH_INGEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk_bench_ingest"
    )
    port = _free_port()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base",
            "DATABASE_URL": database_url,
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-7f3a9c1e5b",
            "DJANGO_DEBUG": "false",
            "CACHE_URL": os.environ.get("BENCH_INGEST_CACHE_URL", "redis://127.0.0.1:6379/5"),
            "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/4"),
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    _database_fresh(database_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, check=True)
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.sandbox",
            "--port",
            str(port),
            "--accounts",
            str(args.accounts),
            "--resources",
            str(args.resources),
            "--events",
            str(args.events),
        ],
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        import django

        django.setup()
        from django.db import connections

        ids = accounts_register(range(args.accounts))
        shares = [ids[n :: args.workers] for n in range(args.workers)]
        connections.close_all()  # each forked worker opens its own
        with multiprocessing.get_context("fork").Pool(args.workers, maxtasksperchild=None) as workers:
            runs = [_run("first poll", workers, shares), _run("unchanged re-poll", workers, shares)]
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
    text = _report(runs, args)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(text)
    first, rerun = runs
    return 0 if first.seconds < 10 and rerun.writes == 0 and not first.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
