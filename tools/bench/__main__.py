"""python -m tools.bench: seed the bench database, serve the portal with gunicorn, load each page with wrk, report.

Everything runs against 127.0.0.1: PostgreSQL (BENCH_DATABASE_URL), Redis (BENCH_CACHE_URL for the cache and
sessions, BENCH_BROKER_URL for Celery) and gunicorn on a free port. Results go to var/bench/.
"""

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from . import load, server
from .pages import CEILING, PAGE_NAMES, Page, pages_selected

if TYPE_CHECKING:  # these need django.setup() first; main() imports them after it
    from .portal import Credentials, Profile

BASE_DIR = Path(__file__).resolve().parents[2]
OUT_DIR = BASE_DIR / "var" / "bench"
log = logging.getLogger("bench")
DRIFT_WARNING = 25  # percent between the ceiling's slowest and fastest load


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    _logging_setup()
    pages = pages_selected(args.only)
    load.wrk_path()  # fail before the long seed, not after
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk_bench")
    env = _portal_env(database_url)
    os.environ.update(env)  # this process loads Django too: fixtures and the in-process profile
    started_at = datetime.now(UTC)

    _database_ensure(database_url)
    _redis_flush(env["CELERY_BROKER_URL"])  # tasks queued by the last run's ticket creation
    log.info("migrate")
    _manage(env, "migrate", "--noinput")
    import django

    django.setup()
    from . import portal, report, seed

    portal.filed_tickets_delete()  # before counting what is seeded
    seeded = seed.seed(database_url, tickets=args.tickets, reseed=args.reseed)
    log.info("collectstatic (DEBUG is off: templates need the manifest)")
    _manage(env, "collectstatic", "--noinput", "--verbosity=0")
    credentials = portal.bench_agent_prepare()
    profiles = {page.name: _page_profile(page, credentials) for page in pages}  # before gunicorn competes for CPU

    with server.gunicorn(env=env, cwd=BASE_DIR, log_path=OUT_DIR / "gunicorn.log") as base_url:
        loads, ceilings, windows = _pages_load(pages, _Loader(base_url, credentials, args))
    results = [
        report.PageResult(
            page,
            page.path.format(queue=credentials.queue, ticket="{ticket}"),  # {ticket}: one of those sampled
            loads[page.name],
            profiles[page.name],
            ceilings[page.name],
        )
        for page in pages
    ]

    run = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "tickets": seeded.tickets,
        "seed_seconds": round(seeded.seconds, 1),
        "seed_skipped": seeded.skipped,
        "duration": args.duration,
        "warmup": args.warmup,
        "threads": args.threads,
        "connections": args.connections,
        "workers": server.WORKERS,
        "cpus": os.cpu_count(),
        "database_url": database_url,
        "ceiling_windows_rps": [round(window.rps, 1) for window in windows],
    }
    json_path, md_path = report.results_write(results, run, OUT_DIR)
    seed_note = "already seeded" if seeded.skipped else f"seeded in {seeded.seconds:.0f} s"
    print(f"\n{seeded.tickets:,} tickets ({seed_note}). Each page is compared with {CEILING} loaded around it.\n")
    print(report.text_table(results))
    slowest, fastest = min(window.rps for window in windows), max(window.rps for window in windows)
    if fastest > slowest * (1 + DRIFT_WARNING / 100):
        print(
            f"\nThe ceiling ranged from {slowest:,.0f} to {fastest:,.0f} req/s during the run: something else is "
            "using the CPUs, so the shares are rough."
        )
    print(f"\nWritten: {json_path.relative_to(BASE_DIR)}, {md_path.relative_to(BASE_DIR)}")
    broken = [
        result.page.name
        for result in results
        if result.load.non_2xx or result.load.socket_errors or any(s // 100 != 2 for s in result.profile.statuses)
    ]
    if broken:
        print(f"\nNon-2xx answers or socket errors on: {', '.join(broken)} (see var/bench/gunicorn.log).")
        return 1
    return 0


def _page_profile(page: Page, credentials: "Credentials") -> "Profile":
    from .portal import page_profile

    profile = page_profile(page, credentials)
    log.info(
        "profiled %-22s %5.1f queries, %6.1f ms (SQL %.1f ms)",
        page.name,
        profile.queries,
        profile.server_ms,
        profile.sql_ms,
    )
    return profile


def _pages_load(pages: list[Page], loader: "_Loader") -> tuple[dict[str, load.Load], dict[str, float], list[load.Load]]:
    """Load every page; returns the loads, the ceiling each page is compared with, and the ceiling's loads.

    The ceiling goes first, in full, and again briefly after each portal page: a page is compared with the
    ceiling loaded just before and just after it, so a machine that gets busier or quieter shifts both alike.
    """
    ceiling_page = next(page for page in pages if page.name == CEILING)
    windows = [loader.run(ceiling_page)]
    loads, ceilings = {CEILING: windows[0]}, {CEILING: windows[0].rps}
    bracket = max(3, loader.args.duration // 3)
    for page in pages:
        if page is ceiling_page:
            continue
        loads[page.name] = loader.run(page)
        if page.yardstick:
            continue
        windows.append(loader.run(ceiling_page, warmup=0, seconds=bracket))
        ceilings[page.name] = (windows[-2].rps + windows[-1].rps) / 2
    for page in pages:  # the constant yardstick: against the whole run's ceiling
        ceilings.setdefault(page.name, sum(window.rps for window in windows) / len(windows))
    return loads, ceilings, windows


class _Loader:
    """wrk against the running server, with the bench agent's credentials."""

    def __init__(self, base_url: str, credentials: "Credentials", args: argparse.Namespace) -> None:
        self.base_url, self.credentials, self.args = base_url, credentials, args
        self.settings = load.LoadSettings(threads=args.threads, connections=args.connections)

    def run(self, page: Page, *, warmup: int | None = None, seconds: int | None = None) -> load.Load:
        paths_file = None
        if "{ticket}" in page.path:  # wrk picks one of these per request
            paths_file = OUT_DIR / f"{page.name}.paths"
            tickets = range(len(self.credentials.tickets))
            paths_file.write_text("".join(f"{self.credentials.path(page, n)}\n" for n in tickets))

        def page_load(seconds: int) -> load.Load:
            return load.page_load(
                page,
                base_url=self.base_url,
                path=self.credentials.path(page),
                headers=self.credentials.headers(page.auth),
                seconds=seconds,
                settings=self.settings,
                paths_file=paths_file,
            )

        warmup = self.args.warmup if warmup is None else warmup
        if warmup:
            page_load(warmup)
        measured = page_load(seconds or self.args.duration)
        log.info(
            "loaded   %-22s %8.1f req/s  p50 %6.1f ms  p99 %6.1f ms  non-2xx %d",
            page.name,
            measured.rps,
            measured.p50_ms,
            measured.p99_ms,
            measured.non_2xx,
        )
        return measured


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets to seed (default 1,000,000)")
    parser.add_argument("--duration", type=int, default=30, help="seconds of load per page (default 30)")
    parser.add_argument(
        "--warmup", type=int, help="seconds of unmeasured load before each page (default 5, less for short runs)"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--only",
        type=lambda value: [name.strip() for name in value.split(",") if name.strip()],
        help=f"comma-separated pages among {', '.join(PAGE_NAMES)}; the yardsticks always run",
    )
    parser.add_argument("--reseed", action="store_true", help="seed again even if enough tickets are there")
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = max(1, min(5, args.duration // 3))
    if args.tickets < 1 or args.duration < 1 or args.warmup < 0 or args.connections < args.threads:
        parser.error("need --tickets >= 1, --duration >= 1, --warmup >= 0 and --connections >= --threads")
    return args


def _logging_setup() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # Django's LOGGING, loaded later, must not double or silence these lines


def _portal_env(database_url: str) -> dict[str, str]:
    """The settings for gunicorn, manage.py and this process: production-like, on the bench database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "600",  # persistent connections, as in production
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-7f3a9c1e5b",
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "false",  # plain http on 127.0.0.1: no redirect, cookies without Secure
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/3"),  # sessions live here
        # Never the filesystem broker: `make run`'s worker would pick up the bench's tasks.
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/4"),
        "SUPPORTDESK_BENCH_VIEWS": "true",
        "LOG_LEVEL": "WARNING",
    }


def _database_ensure(url: str) -> None:
    name = str(conninfo_to_dict(url)["dbname"])
    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            log.info("creating database %s", name)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_timeout=5).flushdb()


def _manage(env: dict[str, str], *args: str, timeout: int = 900) -> None:
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )
    if finished.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{finished.stdout}{finished.stderr}")
    log.debug("manage.py %s in %.1f s", args[0], time.perf_counter() - started)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


if __name__ == "__main__":
    # TERM too (and INT, which a shell ignores in background jobs) unwinds: gunicorn is stopped in a finally.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        sys.exit(main())
    except KeyboardInterrupt as stop:
        sys.exit(f"Interrupted ({stop}); gunicorn stopped, the database left as it was.")
