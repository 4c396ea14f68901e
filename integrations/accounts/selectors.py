"""Reads for AWS accounts: the list with each one's latest polls, and which polls beat lost."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django_celery_beat.models import PeriodicTask

from .models import AwsAccount, PollRun, Source

POLL_LOST_AFTER = timedelta(minutes=1)  # at most: a quarter of a shorter interval
_GOLDEN = (5**0.5 - 1) / 2


def _latest(source: str, field: str) -> Subquery:
    runs = PollRun.objects.filter(account=OuterRef("pk"), source=source).order_by("-started_at")
    return Subquery(runs.values(field)[:1])


def aws_account_list() -> QuerySet[AwsAccount]:
    """Accounts with their latest Trusted Advisor and Health poll, in one query."""
    return (
        AwsAccount.objects.select_related("owner_queue")
        .annotate(
            ta_outcome=_latest(Source.TRUSTED_ADVISOR, "outcome"),
            ta_polled_at=_latest(Source.TRUSTED_ADVISOR, "started_at"),
            health_outcome=_latest(Source.HEALTH, "outcome"),
            health_polled_at=_latest(Source.HEALTH, "started_at"),
        )
        .order_by("name")
    )


def poll_interval(*, task_name: str) -> timedelta | None:
    """How often beat runs the fan-out ``task_name`` (admin-editable in Periodic tasks); None when it does not."""
    periodic = PeriodicTask.objects.filter(task=task_name, enabled=True, interval__isnull=False)
    found = periodic.select_related("interval").first()
    return found.interval.schedule.run_every if found else None


def poll_slot(*, account_id: int, every: timedelta) -> timedelta:
    """When in each round of ``every`` the account is polled. Its id alone decides, so it is polled every ``every``
    whatever accounts come and go; the golden-ratio sequence spreads consecutive ids evenly (a thousand accounts
    over 30 minutes: 33 or 34 a minute, where a hash would put up to about 45 in some minutes)."""
    return every * ((account_id * _GOLDEN) % 1)


def accounts_overdue_for_poll(
    accounts: QuerySet[AwsAccount], *, source: str, every: timedelta, now: datetime
) -> QuerySet[AwsAccount]:
    """Those of ``accounts`` whose last ``source`` poll began over ``every`` (and a little) ago: the poll beat queued
    since left no record, so it was lost (a worker killed mid-poll), or the account was never polled."""
    since = now - every - min(every / 4, POLL_LOST_AFTER)
    polled = PollRun.objects.filter(account=OuterRef("pk"), source=source, started_at__gte=since)
    return accounts.exclude(Exists(polled))


def aws_account_detail(*, account_id: int) -> AwsAccount:
    return get_object_or_404(AwsAccount.objects.select_related("owner_queue", "discovered_by"), pk=account_id)
