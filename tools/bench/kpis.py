"""python -m tools.bench.kpis: the dashboard over the page benchmark's seeded tickets (1,000,000 over two years).

Seeds like `python -m tools.bench` (kept between runs), rebuilds the KPI facts in bulk (timed), then serves every
dashboard request in this process, as gunicorn would, for several ranges and filters: server time and queries per
request (target: under 300 ms each). Results go to var/bench/kpis.md.
"""

import argparse
import logging
import os
import statistics
import sys
from pathlib import Path
from time import perf_counter

import psycopg

from .__main__ import _database_ensure, _logging_setup, _manage, _portal_env

BASE_DIR = Path(__file__).resolve().parents[2]
OUT = BASE_DIR / "var" / "bench" / "kpis.md"
TARGET_MS = 300
MANAGER_EMAIL = "bench-manager@bench.supportdesk.test"
log = logging.getLogger("bench")


def _scopes(queue: str, account: str) -> list[tuple[str, str]]:
    return [
        ("7 days", "period=7d"),
        ("30 days", "period=30d"),
        ("12 months", "period=365d"),
        ("30 days, SEV1", "period=30d&severity=SEV1"),
        ("12 months, one queue", f"period=365d&queue={queue}"),
        ("12 months, production", "period=365d&environment=production"),
        ("12 months, one account", f"period=365d&account={account}"),
        ("12 months, SEV2 + queue + production", f"period=365d&severity=SEV2&queue={queue}&environment=production"),
        ("custom 2 years", "period=custom&start={two_years_ago}&end={today}"),
    ]


def _endpoints() -> list[str]:
    from kpis.charts import CHARTS

    return [
        "/dashboard/",
        "/dashboard/panel/headline/",
        *(f"/dashboard/chart/{key}/" for key in CHARTS),
        "/dashboard/panel/accounts/",
        "/dashboard/chart/sla.csv",
        "/dashboard/tickets/?set=response_missed",
        "/dashboard/tickets/?set=open&band=gt30d",
        "/dashboard/tickets/?set=ta_category&category=cost_optimizing",
        "/finance/",
    ]


def _manager():
    from django.contrib.auth import get_user_model

    from accounts.roles import Role, user_set_role

    user, _ = get_user_model().objects.get_or_create(email=MANAGER_EMAIL, defaults={"first_name": "Bench"})
    user_set_role(user=user, role=Role.MANAGER)
    return user


def _measure(client, path: str, samples: int) -> tuple[list[float], float, set[int]]:
    from django.db import connection

    counted = [0]

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    timings, statuses = [], set()
    client.get(path)  # warm: caches, plans
    with connection.execute_wrapper(count):
        for _ in range(samples):
            started = perf_counter()
            response = client.get(path)
            timings.append((perf_counter() - started) * 1000)
            statuses.add(response.status_code)
    return timings, counted[0] / samples, statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.kpis", description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=5, help="timed requests per endpoint and filter (default 5)")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--no-rebuild", action="store_true", help="keep the facts of the last run")
    args = parser.parse_args(argv)
    _logging_setup()
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk_bench")
    env = _portal_env(database_url)
    os.environ.update(env)
    _database_ensure(database_url)
    log.info("migrate")
    _manage(env, "migrate", "--noinput")
    import django

    django.setup()
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from kpis import services
    from tickets import reference

    from . import seed

    seeded = seed.seed(database_url, tickets=args.tickets, reseed=args.reseed)
    from .seed.aws import aws_estate_seed, aws_estate_vacuum

    findings, health_events = aws_estate_seed()
    aws_estate_vacuum()
    _manage(env, "collectstatic", "--noinput", "--verbosity=0")  # DEBUG is off: templates need the manifest
    rebuild_seconds = None
    if not args.no_rebuild:
        log.info("rebuilding the KPI facts")
        started = perf_counter()
        rows = services.facts_rebuild()
        rebuild_seconds = perf_counter() - started
        log.info("%s facts in %.1f s", f"{rows:,}", rebuild_seconds)
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE) kpis_ticketfact")  # index-only scans need the visibility map

    client = Client(headers={"Host": "127.0.0.1"}, raise_request_exception=False)
    client.force_login(_manager())
    queue = reference.queues()[0].slug
    from kpis.models import TicketFact

    account = TicketFact.objects.exclude(account="").values_list("account", flat=True).first() or ""
    today = timezone.localdate()
    rows_out, slow = [], []
    for label, query in _scopes(queue, account):
        query = query.format(two_years_ago=today - timedelta(days=729), today=today)
        for endpoint in _endpoints():
            path = f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
            timings, queries, statuses = _measure(client, path, args.samples)
            median, worst = statistics.median(timings), max(timings)
            rows_out.append((label, endpoint, median, worst, queries, statuses))
            if median > TARGET_MS or statuses != {200}:
                slow.append((label, endpoint, median, statuses))
            log.info(
                "%-40s %-34s %7.1f ms (max %7.1f) %4.1f queries %s",
                label,
                endpoint,
                median,
                worst,
                queries,
                sorted(statuses),
            )
    _report(rows_out, seeded, rebuild_seconds, args.samples, estate=(findings, health_events))
    print(f"\n{len(rows_out)} requests measured; {len(slow)} over {TARGET_MS} ms or not 200. Written: {OUT}")
    for label, endpoint, median, statuses in slow:
        print(f"  {label}: {endpoint} {median:.0f} ms {sorted(statuses)}")
    return 1 if slow else 0


def _report(rows, seeded, rebuild_seconds, samples: int, *, estate: tuple[int, int]) -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Dashboard benchmark",
        "",
        f"{seeded.tickets:,} tickets, {estate[0]:,} Trusted Advisor findings, {estate[1]:,} Health events; "
        "facts rebuilt in "
        + (f"{rebuild_seconds:.1f} s" if rebuild_seconds is not None else "(not rebuilt this run)")
        + f"; {os.cpu_count()} CPUs; median and slowest of {samples} requests served in process.",
        "",
        "| Filter | Request | Median ms | Max ms | Queries |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [
        f"| {label} | `{endpoint}` | {median:.1f} | {worst:.1f} | {queries:.0f} |"
        for label, endpoint, median, worst, queries, _ in rows
    ]
    OUT.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
