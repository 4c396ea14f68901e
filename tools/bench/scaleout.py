"""python -m tools.bench.scaleout: one poll cycle of every AWS account by 1, 2 and 4 Celery worker processes.

Issue 15's "measure scale-out": the sandbox in scale mode (1,000 accounts, 200 flagged resources and 20 Health events
each), a fresh PostgreSQL database per worker count, every account's Trusted Advisor and Health poll queued at once
on the polling queue (Redis), and N ``celery worker --concurrency 1`` processes draining it. Two cycles each: the
first (everything new is ticketed) and a steady one (a re-poll that finds nothing changed). Measured from outside
the processes: cycle time (queueing to the last poll record), CPU seconds of the workers, the sandbox and the
database's backends (/proc), worker memory, duplicates and anything missing. Results: var/bench/scaleout.md.

With ``--first-accounts K`` the runs with fewer workers than the largest poll only K new accounts in their first
cycle, in a copy of the largest run's database (so their steady cycle is still all accounts): the whole first cycle
of 1,000 accounts by one worker takes longer than a bench should.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from .ingest import _database_fresh, _free_port, _wait_for, accounts_register

BASE_DIR = Path(__file__).resolve().parents[2]
OUT_DIR = BASE_DIR / "var" / "bench"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
STALL_SECONDS = 300  # no poll record for this long: a worker is stuck or failing, the run stops
SOURCES = 2  # Trusted Advisor and Health: two polls, two poll records per account

# A second ticket for what one key names: keys held twice (the constraints forbid it; counted all the same), and AWS
# tickets that no finding group or Health event holds (filed, then lost to a twin that won the race)
DUPLICATES_SQL = """
SELECT
  (SELECT count(*) - count(DISTINCT (account_id, ta_check_id, resource_key)) FROM integrations_findinggroup)
+ (SELECT count(*) - count(DISTINCT (account_id, ta_check_id, resource_key)) FROM integrations_finding)
+ (SELECT count(*) - count(DISTINCT (account_id, arn)) FROM integrations_healthevent)
+ (SELECT count(*) FROM tickets_ticket t
   WHERE t.kind IN ('aws_finding', 'aws_health')
     AND NOT EXISTS (SELECT 1 FROM integrations_findinggroup g WHERE g.ticket_id = t.id)
     AND NOT EXISTS (SELECT 1 FROM integrations_healthevent e WHERE e.ticket_id = t.id))
"""
# What a poll should have left: every resource a finding in a ticketed group, every Health event a row with a ticket
HOLDINGS_SQL = """
SELECT
  (SELECT count(*) FROM integrations_finding),
  (SELECT count(*) FROM integrations_healthevent WHERE ticket_id IS NOT NULL),
  (SELECT count(*) FROM tickets_ticket WHERE kind IN ('aws_finding', 'aws_health'))
"""


def efficiency(throughput: float, *, workers: int, single: float) -> float:
    """Throughput with ``workers`` over ``workers`` times the throughput of one: 1.0 is perfect scale-out."""
    return throughput / (workers * single) if workers and single else 0.0


def projected_seconds(*, accounts: int, cpu_per_account: float, workers: int) -> float:
    """A cycle's length when each worker has a core of its own: the accounts' worker CPU shared by the workers."""
    return accounts * cpu_per_account / workers


def duplicates_count(cursor) -> int:
    cursor.execute(DUPLICATES_SQL)
    return int(cursor.fetchone()[0])


def proc_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU of a live process, from /proc/<pid>/stat (None once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces; what follows it does not
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14 and 15 of proc(5)


def proc_rss_mib(pid: int) -> float | None:
    try:
        resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return resident * PAGE_SIZE / 2**20


def proc_children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy since boot (all processes, other users' too)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICKS


class Sampler:
    """Samples, twice a second, the CPU and memory of the workers (parent and pool process), the sandbox (and its
    copies) and the database backends of the run's database; keeps each process's latest CPU so one that ends
    between samples still counts."""

    def __init__(self, admin_url: str, database: str) -> None:
        self.admin_url, self.database = admin_url, database
        self.roots: dict[str, list[int]] = {"worker": [], "sandbox": []}
        self.cpu: dict[int, float] = {}
        self.role: dict[int, str] = {}
        self.rss: dict[int, float] = {}
        self.peak: dict[int, float] = {}
        self.pool: dict[int, int] = {}  # worker parent → its pool process
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Sampler":
        self._conn = psycopg.connect(self.admin_url, dbname="postgres", autocommit=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._conn.close()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def sample(self) -> None:
        with self._lock:
            pids = {pid: role for role, roots in self.roots.items() for pid in roots}
            for root in self.roots["worker"]:
                for child in proc_children(root):
                    pids[child] = "worker"
                    self.pool[root] = child
            for root in self.roots["sandbox"]:
                pids.update((child, "sandbox") for child in proc_children(root))
            backends = self._conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.database]
            ).fetchall()
            pids.update((pid, "database") for (pid,) in backends)
            for pid, role in pids.items():
                cpu, rss = proc_cpu_seconds(pid), proc_rss_mib(pid)
                if cpu is None or rss is None:
                    continue
                self.cpu[pid], self.role[pid], self.rss[pid] = cpu, role, rss
                self.peak[pid] = max(self.peak.get(pid, 0.0), rss)

    def snapshot(self) -> dict[int, float]:
        self.sample()
        with self._lock:
            return dict(self.cpu)

    def cpu_used(self, before: dict[int, float], after: dict[int, float]) -> dict[str, float]:
        used: dict[str, float] = {"worker": 0.0, "sandbox": 0.0, "database": 0.0}
        for pid, cpu in after.items():
            used[self.role[pid]] += cpu - before.get(pid, 0.0)  # a process born in the window started at zero
        return used

    def database_counters(self) -> tuple[int, int]:
        """Transactions committed and rows written in the run's database, as PostgreSQL counts them."""
        with self._lock:
            row = self._conn.execute(
                "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = %s",
                [self.database],
            ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def peak_reset(self) -> None:
        with self._lock:
            self.peak = dict(self.rss)

    def pool_memory(self) -> tuple[list[float], list[float]]:
        """Each worker's pool process: resident MiB now, and its peak since the last reset."""
        with self._lock:
            pools = [self.pool[root] for root in self.roots["worker"] if root in self.pool]
            return [self.rss.get(p, 0.0) for p in pools], [self.peak.get(p, 0.0) for p in pools]


@dataclass
class Cycle:
    name: str
    accounts: int
    items: int  # flagged resources and Health events of those accounts
    seconds: float
    queue_seconds: float
    polls: int
    failed: int
    opened: int
    updated: int
    cpu: dict[str, float]
    machine_busy: float  # CPU seconds of the whole machine in the window (other helpers' too)
    load: str
    rss_start: list[float]
    rss_peak: list[float]
    rss_end: list[float]
    transactions: int
    rows_written: int
    duplicates: int
    missing: int
    tickets: int
    problems: list[str] = field(default_factory=list)

    @property
    def accounts_per_second(self) -> float:
        return self.accounts / self.seconds

    def cpu_per_account(self, role: str) -> float:
        return self.cpu[role] / self.accounts


@dataclass
class Run:
    workers: int
    hosts: int
    cycles: list[Cycle]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.url = os.environ.get("BENCH_SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sd_scale_bench")
        self.database = str(conninfo_to_dict(self.url)["dbname"])
        self.template, self.full = f"{self.database}_template", f"{self.database}_full"
        self.broker = os.environ.get("BENCH_SCALE_BROKER_URL", "redis://127.0.0.1:6379/14")
        self.port = _free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base",
            "DATABASE_URL": self.url,
            "DATABASE_CONN_MAX_AGE": "600",  # persistent connections, as in production
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-7f3a9c1e5b",
            "DJANGO_DEBUG": "false",
            "CACHE_URL": os.environ.get("BENCH_SCALE_CACHE_URL", "redis://127.0.0.1:6379/13"),
            "CELERY_BROKER_URL": self.broker,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.port}",
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LOG_LEVEL": "WARNING",
        }
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
            self.env.pop(name, None)
        # The base accounts, then (--first-accounts) the new accounts the smaller runs' first cycles poll
        self.extra = args.first_accounts if args.first_accounts < args.accounts else 0
        self.total_accounts = args.accounts + self.extra
        self.per_account = args.resources_per_account + args.events_per_account

    # --- the pieces -------------------------------------------------------------------------------------------

    @contextmanager
    def sandbox(self) -> Iterator[subprocess.Popen]:
        accounts = self.total_accounts
        command = [
            *(sys.executable, "-m", "tools.sandbox", "--port", str(self.port), "--accounts", str(accounts)),
            *("--resources", str(accounts * self.args.resources_per_account)),
            *("--events", str(accounts * self.args.events_per_account)),
            *("--processes", str(self.args.sandbox_processes)),
        ]
        process = subprocess.Popen(command, cwd=BASE_DIR, stdout=subprocess.DEVNULL, process_group=0)
        try:
            _wait_for(self.port, seconds=120)
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)  # the sandbox and its copies: its own process group
            process.wait(timeout=20)

    def database_prepare(self) -> None:
        """A migrated, empty database to copy for each run (migrating takes longer than copying)."""
        template_url = urlsplit(self.url)._replace(path=f"/{self.template}").geturl()
        _database_fresh(template_url)
        env = self.env | {"DATABASE_URL": template_url}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True
        )

    def database_copy(self, source: str) -> None:
        """The run database made afresh as a copy of ``source``."""
        self._clone(target=self.database, source=source)

    def full_keep(self) -> None:
        """Keep the run database, every account polled, for the smaller runs' steady cycles."""
        self._clone(target=self.full, source=self.database)

    def _clone(self, *, target: str, source: str) -> None:
        from django.db import connections

        connections.close_all()  # a template database may have no other session
        with psycopg.connect(self.url, dbname="postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target)))
            create = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
            conn.execute(create.format(sql.Identifier(target), sql.Identifier(source)))

    @contextmanager
    def workers(self, count: int, hosts: int, sampler: Sampler) -> Iterator[list[subprocess.Popen]]:
        """``count`` workers of one process each, on ``hosts`` simulated hosts: a process group, node names and
        environment of their own per host; each worker its own database and broker connections."""
        from supportdesk.celery import app
        from supportdesk.queues import POLLING

        processes: list[subprocess.Popen] = []
        nodes = []
        log = OUT_DIR / "scaleout-workers.log"
        try:
            with log.open("a") as out:
                for host in range(hosts):
                    leader = 0
                    name = f"scale-host-{'ab'[host] if hosts <= 2 else host}"
                    for n in range(host, count, hosts):
                        node = f"w{n + 1}@{name}"
                        command = [
                            *(sys.executable, "-m", "celery", "-A", "supportdesk", "worker"),
                            *("--concurrency", "1", "-Q", POLLING, "-n", node, "--loglevel", "WARNING"),
                        ]
                        process = subprocess.Popen(
                            command,
                            cwd=BASE_DIR,
                            env=self.env | {"HOSTNAME": name},
                            stdout=out,
                            stderr=subprocess.STDOUT,
                            process_group=leader,
                        )
                        leader = leader or process.pid
                        processes.append(process)
                        nodes.append(node)
            sampler.roots["worker"] = [p.pid for p in processes]
            deadline = time.monotonic() + 120
            while True:
                answered = {name for reply in app.control.ping(timeout=1.0) or [] for name in reply}
                if answered >= set(nodes):
                    break
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    raise SystemExit(f"workers did not start (answered: {sorted(answered)}); see {log}")
            yield processes
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()  # warm shutdown: the current task ends first
            for process in processes:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            sampler.roots["worker"] = []

    def cycle(self, name: str, account_ids: list[int], sampler: Sampler) -> Cycle:
        """Queue every account's two polls at once, wait for their poll records, measure."""
        from django.db import connection

        from integrations.models import PollRun
        from integrations.tasks import health_poll_task, trusted_advisor_poll_task
        from supportdesk.queues import POLLING

        since = PollRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        rss_start, _ = sampler.pool_memory()
        sampler.peak_reset()
        cpu_before, busy_before = sampler.snapshot(), machine_busy_seconds()
        counters_before = sampler.database_counters()
        started = time.time()
        for account_id in account_ids:  # straight onto the queue: no spreading over the interval here
            trusted_advisor_poll_task.apply_async((account_id,), queue=POLLING)
            health_poll_task.apply_async((account_id,), queue=POLLING)
        queue_seconds = time.time() - started
        expected, done, last_progress = SOURCES * len(account_ids), 0, time.monotonic()
        polls = PollRun.objects.filter(pk__gt=since)
        while done < expected:
            time.sleep(0.5)
            now_done = polls.count()
            if now_done > done:
                done, last_progress = now_done, time.monotonic()
            elif time.monotonic() - last_progress > STALL_SECONDS:
                raise SystemExit(f"{name}: {done} of {expected} polls recorded, none for {STALL_SECONDS} s")
        last = max(at for at in polls.values_list("finished_at", flat=True) if at is not None)  # set on each
        cpu_after, busy_after = sampler.snapshot(), machine_busy_seconds()
        time.sleep(1)  # PostgreSQL publishes its counters within a second of a transaction's end
        counters_after = sampler.database_counters()
        rss_end, rss_peak = sampler.pool_memory()
        failed = polls.exclude(outcome=PollRun.Outcome.OK)
        totals = [sum(polls.values_list(f, flat=True)) for f in ("opened", "updated")]
        with connection.cursor() as cursor:
            duplicates = duplicates_count(cursor)
            cursor.execute(HOLDINGS_SQL)
            findings, events, tickets = cursor.fetchone()
        polled_accounts = PollRun.objects.values("account").distinct().count()
        missing = (
            polled_accounts * self.args.resources_per_account
            - findings
            + polled_accounts * self.args.events_per_account
            - events
        )
        return Cycle(
            name=name,
            accounts=len(account_ids),
            items=len(account_ids) * self.per_account,
            seconds=last.timestamp() - started,
            queue_seconds=queue_seconds,
            polls=done,
            failed=failed.count(),
            opened=totals[0],
            updated=totals[1],
            cpu=sampler.cpu_used(cpu_before, cpu_after),
            machine_busy=busy_after - busy_before,
            load=Path("/proc/loadavg").read_text().split(" ", 1)[0],  # the last minute
            rss_start=rss_start,
            rss_peak=rss_peak,
            rss_end=rss_end,
            transactions=counters_after[0] - counters_before[0],
            rows_written=counters_after[1] - counters_before[1],
            duplicates=duplicates,
            missing=missing,
            tickets=tickets,
            problems=sorted({m[:200] for m in failed.values_list("message", flat=True)})[:5],
        )

    def run(self, workers: int, sampler: Sampler, *, first_full: bool) -> Run:
        """One worker count: a fresh database, its first cycle and a steady one, the same worker processes."""
        import redis

        base = range(self.args.accounts)
        if first_full:
            self.database_copy(self.template)
            new_ids = base_ids = accounts_register(base)
        else:  # every base account polled already (the largest run's database); K new accounts for the first cycle
            self.database_copy(self.full)
            base_ids = self._all_account_ids()
            new_ids = accounts_register(range(self.args.accounts, self.total_accounts))
        redis.Redis.from_url(self.broker, socket_timeout=5).flushdb()  # the last run's notifications
        hosts = min(self.args.hosts, workers)
        print(f"{_clock()} {workers} worker(s) on {hosts} host(s)", flush=True)
        with self.workers(workers, hosts, sampler):
            first = self.cycle("first", new_ids, sampler)
            _say(workers, first)
            steady = self.cycle("steady", base_ids, sampler)
            _say(workers, steady)
        return Run(workers, hosts, [first, steady])

    def _all_account_ids(self) -> list[int]:
        from integrations.models import AwsAccount

        return list(AwsAccount.objects.order_by("pk").values_list("pk", flat=True))


def _clock() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S")


def _say(workers: int, c: Cycle) -> None:
    print(
        f"{_clock()}   {c.name}: {c.accounts} accounts in {c.seconds:.1f} s ({c.accounts_per_second:.2f}/s), "
        f"opened {c.opened}, failed {c.failed}, duplicates {c.duplicates}, missing {c.missing}, "
        f"CPU s worker {c.cpu['worker']:.0f} sandbox {c.cpu['sandbox']:.0f} database {c.cpu['database']:.0f}, "
        f"load {c.load}",
        flush=True,
    )


def report(runs: list[Run], args: argparse.Namespace, *, extra: int, started_at: str) -> str:
    """The side-by-side table, the arithmetic for a host with the cores, and the run's conditions."""
    one = runs[0].cycles if runs[0].workers == 1 else []
    single = {c.name: c.accounts_per_second for c in one}
    single_cpu = {c.name: c.cpu_per_account("worker") for c in one}
    lines = [
        f"# Scale-out: one poll cycle of {args.accounts:,} AWS accounts by 1, 2 and 4 worker processes",
        "",
        f"Each account: {args.resources_per_account} flagged resources (Trusted Advisor) and "
        f"{args.events_per_account} Health events in the sandbox (scale mode, {args.sandbox_processes} process(es)); "
        "every account's two polls queued at once on the polling queue (Redis); workers `celery worker "
        f"--concurrency 1 -Q polling`, the largest run split over {args.hosts} simulated hosts. Started {started_at}; "
        f"{os.cpu_count()} cores shared by the workers, the sandbox, PostgreSQL, Redis and other users of the "
        "machine (load: the 1-minute load average at the cycle's end).",
        "",
    ]
    if extra:
        lines += [
            f"The first cycle of the runs with fewer workers polls {extra} new accounts, added to a copy of the "
            "largest run's database (every other account polled already); their steady cycle is all "
            f"{args.accounts:,}.",
            "",
        ]
    lines += [
        "| workers (hosts) | cycle | accounts | cycle s | accounts/s | per worker | resources+events/s | efficiency "
        "| CPU efficiency | worker / sandbox / DB CPU s per account | transactions / rows written per account "
        "| worker RSS MiB start / peak / end | duplicates | missing | failed polls | load |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|---|--:|--:|--:|--:|",
    ]
    for run in runs:
        for c in run.cycles:
            rate = c.accounts_per_second
            eff = efficiency(rate, workers=run.workers, single=single.get(c.name, 0.0))
            # The same, were each worker given a core: one worker's CPU per account over N workers' CPU per account
            cpu_eff = single_cpu.get(c.name, 0.0) / c.cpu_per_account("worker") if c.cpu["worker"] else 0.0
            cpu = " / ".join(f"{c.cpu_per_account(role):.3f}" for role in ("worker", "sandbox", "database"))
            memory = f"{max(c.rss_start, default=0):.0f} / {max(c.rss_peak, default=0):.0f} / "
            memory += f"{max(c.rss_end, default=0):.0f}"
            lines.append(
                f"| {run.workers} ({run.hosts}) | {c.name} | {c.accounts:,} | {c.seconds:.1f} | {rate:.2f} "
                f"| {rate / run.workers:.2f} | {c.items / c.seconds:,.0f} | {eff:.2f} | {cpu_eff:.2f} | {cpu} "
                f"| {c.transactions / c.accounts:.1f} / {c.rows_written / c.accounts:,.0f} | {memory} "
                f"| {c.duplicates} | {c.missing} | {c.failed} | {c.load} |"
            )
    lines += ["", "## With a core per worker", ""]
    for run in runs:
        for c in run.cycles:
            worker = c.cpu_per_account("worker")
            seconds = projected_seconds(accounts=args.accounts, cpu_per_account=worker, workers=4)
            database = c.cpu_per_account("database") * args.accounts
            lines.append(
                f"- {run.workers} worker(s), {c.name} cycle: {worker:.3f} worker CPU s per account → "
                f"{args.accounts:,} x {worker:.3f} / 4 = **{seconds:.0f} s** with 4 workers on 4 free cores; the "
                f"database's share {database:.0f} CPU s over those {seconds:.0f} s "
                f"({database / seconds if seconds else 0:.1f} cores). Machine busy during the cycle: "
                f"{c.machine_busy / c.seconds:.2f} of {os.cpu_count()} cores."
            )
    problems = sorted({p for run in runs for c in run.cycles for p in c.problems})
    if problems:
        lines += ["", "## Failed polls said", "", *(f"- {p}" for p in problems)]
    return "\n".join(lines) + "\n"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.scaleout", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--resources-per-account", type=int, default=200)
    parser.add_argument("--events-per-account", type=int, default=20)
    parser.add_argument(
        "--workers",
        type=lambda value: sorted({int(n) for n in value.split(",")}),
        default=[1, 2, 4],
        help="worker counts, comma-separated (default 1,2,4)",
    )
    parser.add_argument(
        "--first-accounts",
        type=int,
        default=0,
        help="new accounts in the first cycle of the runs with fewer workers than the largest (default: all)",
    )
    parser.add_argument("--hosts", type=int, default=2, help="simulated hosts the largest run is split over")
    parser.add_argument("--sandbox-processes", type=int, default=2, help="processes serving the sandbox")
    args = parser.parse_args(argv)
    if args.accounts < 1 or min(args.workers) < 1 or args.hosts < 1 or args.first_accounts < 0:
        parser.error("need --accounts >= 1, workers >= 1, --hosts >= 1 and --first-accounts >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    bench = Bench(args)
    os.environ.update(bench.env)  # this process loads Django too: it registers accounts, queues and counts
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    largest = args.workers[-1]
    # The largest run goes first when the smaller ones poll new accounts in a copy of its database
    order = [largest, *args.workers[:-1]] if bench.extra else args.workers
    print(f"{_clock()} migrating {bench.template}", flush=True)
    bench.database_prepare()
    runs: dict[int, Run] = {}
    with bench.sandbox() as sandbox:
        import django

        django.setup()
        with Sampler(bench.url, bench.database) as sampler:
            sampler.roots["sandbox"] = [sandbox.pid]
            for workers in order:
                runs[workers] = bench.run(workers, sampler, first_full=not bench.extra or workers == largest)
                if bench.extra and workers == largest:
                    bench.full_keep()
                ordered = [runs[n] for n in args.workers if n in runs]
                text = report(ordered, args, extra=bench.extra, started_at=started_at)  # after each: a long run
                (OUT_DIR / "scaleout.md").write_text(text)  # stopped halfway still leaves its figures
                (OUT_DIR / "scaleout.json").write_text(json.dumps([asdict(r) for r in ordered], indent=2))
    print(text)
    clean = all(c.duplicates == 0 and c.missing == 0 and c.failed == 0 for r in ordered for c in r.cycles)
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
