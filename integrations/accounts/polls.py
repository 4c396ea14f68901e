"""Every poll leaves one PollRun: what it opened, updated and resolved, and what went wrong, in words."""

import fcntl
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from awsgateway.errors import RETRYABLE, AwsError

from .advice import aws_error_advice
from .models import AwsAccount, PollRun

POLL_RUNS_KEPT = timedelta(days=90)


def chunks(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of ``size`` items, read lazily: a stream of AWS pages never sits in memory whole."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass
class PollCounts:
    opened: int = 0
    updated: int = 0
    resolved: int = 0
    errors: int = 0
    problems: list[str] = field(default_factory=list)
    opened_tickets: set[int] = field(default_factory=set)  # later pages of the same poll add to these quietly

    def problem(self, text: str) -> None:
        self.errors += 1
        self.problems.append(text)


@contextmanager
def poll_recorded(account: AwsAccount, source: str) -> Iterator[PollCounts]:
    """Run a poll and record its outcome once it ends, however it ends (written once: an idle poll adds one row).

    A throttled or unreachable AWS is recorded, then re-raised so the task retries with backoff; other AWS
    answers (plan too low, access denied) are permanent until someone acts, so they are recorded and swallowed.
    """
    started_at: datetime = timezone.now()
    counts = PollCounts()
    try:
        yield counts
    except RETRYABLE as exc:
        _record(account, source, started_at, counts, PollRun.Outcome.FAILED, f"{exc}")
        raise
    except AwsError as exc:
        _record(account, source, started_at, counts, PollRun.Outcome.FAILED, aws_error_advice(exc))
        return
    except Exception as exc:  # a bug or a database error: on the account page too, and the task fails loudly
        _record(account, source, started_at, counts, PollRun.Outcome.FAILED, f"Supportdesk failed: {exc!r}")
        raise
    outcome = PollRun.Outcome.PARTIAL if counts.errors else PollRun.Outcome.OK
    _record(account, source, started_at, counts, outcome, "\n".join(counts.problems))


def _record(account: AwsAccount, source: str, started_at: datetime, counts: PollCounts, outcome: str, message: str):
    PollRun.objects.create(
        account=account,
        source=source,
        started_at=started_at,
        finished_at=timezone.now(),
        outcome=outcome,
        opened=counts.opened,
        updated=counts.updated,
        resolved=counts.resolved,
        errors=counts.errors,
        message=message[:4000],
    )


@contextmanager
def poll_lock(*, name: str, account_id: int) -> Iterator[bool]:
    """Hold the account's ``name`` poll lock while the block runs; yields False when another poll holds it.

    The lock belongs to its holder's database session (PostgreSQL) or process (the SQLite demo), so a worker killed
    mid-poll drops it with its connection: the next poll runs at once, not after a timeout guessed to outlast any
    poll. A session lock needs a direct or session-pooled connection (PgBouncer's transaction mode would lose it).
    """
    if connection.vendor == "postgresql":
        with _advisory_lock(name, account_id) as held:
            yield held
    else:
        with _file_lock(name, account_id) as held:
            yield held


def _lock_key(name: str, account_id: int) -> int:
    key = zlib.crc32(f"integrations:poll:{name}".encode()) << 32 | account_id & 0xFFFFFFFF
    return key - (1 << 64) if key >= 1 << 63 else key  # PostgreSQL's bigint is signed


@contextmanager
def _advisory_lock(name: str, account_id: int) -> Iterator[bool]:
    key = _lock_key(name, account_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                pass  # the connection broke (a database restart): the lock went with its session


@contextmanager
def _file_lock(name: str, account_id: int) -> Iterator[bool]:
    folder = settings.BASE_DIR / "var" / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"poll-{name}-{account_id}", "w") as file:  # the kernel unlocks it when its process dies
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True  # closing the file unlocks it


def poll_runs_prune(*, keep: timedelta = POLL_RUNS_KEPT) -> int:
    """Forget poll records older than ``keep``: the account page shows recent ones, KPIs keep daily snapshots."""
    return PollRun.objects.filter(started_at__lt=timezone.now() - keep).delete()[0]
