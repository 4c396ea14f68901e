"""Every poll leaves one PollRun: what it opened, updated and resolved, and what went wrong, in words."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from django.utils import timezone

from ..aws.errors import RETRYABLE, AwsError
from ..models import AwsAccount, PollRun
from .advice import aws_error_advice

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
        account=account, source=source, started_at=started_at, finished_at=timezone.now(), outcome=outcome,
        opened=counts.opened, updated=counts.updated, resolved=counts.resolved, errors=counts.errors,
        message=message[:4000],
    )  # fmt: skip


def poll_runs_prune(*, keep: timedelta = POLL_RUNS_KEPT) -> int:
    """Forget poll records older than ``keep``: the account page shows recent ones, KPIs keep daily snapshots."""
    return PollRun.objects.filter(started_at__lt=timezone.now() - keep).delete()[0]
