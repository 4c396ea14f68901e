"""The periodic schedule: every task beat runs, in one place. `migrate` syncs it into django-celery-beat.

Admins edit schedules in the Django admin (Periodic tasks), so the sync respects what they did:

- an entry with no row of its name is created, with the timing below;
- a row of one of our names keeps its timing (interval or crontab) and whether it is enabled, as an admin may have
  changed them; only its task and arguments are set back to ours, so a renamed task cannot leave beat queueing a
  name no worker knows. To stop one of ours, disable it: a deleted one comes back on the next `migrate`;
- rows with other names (made by an admin, or by `make run`'s demo) are never touched.

Data migrations made these rows until this module existed; they are kept as no-ops, for history.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections


@dataclass(frozen=True)
class Every:
    """An interval, as django-celery-beat's IntervalSchedule stores it."""

    every: int
    period: str  # "seconds", "minutes", "hours", "days"


@dataclass(frozen=True)
class Crontab:
    """A time of day, as django-celery-beat's CrontabSchedule stores it (in its default time zone, UTC)."""

    minute: str
    hour: str
    day_of_week: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"


@dataclass(frozen=True)
class Entry:
    task: str  # the Celery task's name
    when: Every | Crontab
    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


MINUTE = Every(1, "minutes")

SCHEDULE: dict[str, Entry] = {
    # tickets
    "Close tickets resolved a week ago": Entry("tickets.tasks.tickets_auto_close_task", Every(1, "hours")),
    # accounts
    "Delete expired sessions": Entry("accounts.tasks.sessions_expired_clear_task", Crontab(minute="23", hour="3")),
    # integrations
    "Check what AWS allows in each account": Entry(
        "integrations.tasks.accounts_capability_refresh_all_task", Crontab(minute="17", hour="6")
    ),
    "Poll Trusted Advisor": Entry("integrations.tasks.trusted_advisor_poll_all_task", Every(30, "minutes")),
    "Poll AWS Health": Entry("integrations.tasks.health_poll_all_task", Every(5, "minutes")),
    "Poll Security Hub": Entry("integrations.tasks.security_hub_poll_all_task", Every(15, "minutes")),
    "Mark findings resolved in Security Hub where the task was lost": Entry(
        "integrations.tasks.security_write_backs_requeue_task", Every(5, "minutes")
    ),
    "Discover organisation member accounts": Entry(
        "integrations.tasks.organization_discover_all_task", Every(60, "minutes")
    ),
    "Sync AWS Support cases": Entry("integrations.tasks.support_cases_sync_all_task", Every(5, "minutes")),
    "Forget poll records older than 90 days": Entry(
        "integrations.tasks.poll_runs_prune_task", Crontab(minute="41", hour="3")
    ),
    "Queue lost and overdue AWS polls": Entry("integrations.tasks.polls_overdue_queue_task", MINUTE),
    "Ingest pushed AWS events whose task was lost": Entry("integrations.tasks.sns_messages_requeue_task", MINUTE),
    # mail
    "Poll IMAP and Maildir mailboxes": Entry("mail.tasks.mailboxes_poll_task", MINUTE),
    # notifications
    "Re-send pending notifications": Entry("notifications.tasks.notifications_sweep_task", MINUTE),
    # escalation
    "Record SLA warnings and breaches": Entry("escalation.tasks.sla_sweep_task", MINUTE),
    "Run escalation steps whose task was lost": Entry("escalation.tasks.escalations_sweep_task", MINUTE),
    # oncall
    "Remind people before their on-call shift": Entry("oncall.tasks.shift_reminders_task", Every(5, "minutes")),
    # paging
    "Run page steps whose timer was lost": Entry("paging.tasks.pages_sweep_task", MINUTE),
    # chat
    "Forget Slack requests older than a day": Entry(
        "chat.tasks.slack_requests_prune_task", Crontab(minute="41", hour="3")
    ),
    # kpis
    "Fold new timeline events into the KPI facts": Entry("kpis.tasks.facts_refresh_task", MINUTE),
    "Snapshot yesterday's KPIs and check the KPI targets": Entry(
        "kpis.tasks.kpi_snapshots_task", Crontab(minute="20", hour="0")
    ),
    # readiness
    "Open due readiness reviews": Entry("readiness.tasks.readiness_daily_task", Crontab(minute="17", hour="6")),
}


def schedule_sync(*, using: str = DEFAULT_DB_ALIAS, schedule: Mapping[str, Entry] = SCHEDULE) -> list[str]:
    """Create the entries that have no row; set the task and arguments of those that do. Returns what it changed."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    changed = []
    for name, entry in schedule.items():
        args, kwargs = list(entry.args), dict(entry.kwargs)
        row = PeriodicTask.objects.using(using).filter(name=name).first()
        if row is None:
            if isinstance(entry.when, Every):
                timing = {"interval": _first_or_create(IntervalSchedule, using, vars(entry.when))}
            else:
                timing = {"crontab": _first_or_create(CrontabSchedule, using, vars(entry.when))}
            PeriodicTask(name=name, task=entry.task, args=_json(args), kwargs=_json(kwargs), **timing).save(using=using)
            changed.append(f"created {name!r}")
        elif (row.task, row.args, row.kwargs) != (entry.task, _json(args), _json(kwargs)):
            row.task, row.args, row.kwargs = entry.task, _json(args), _json(kwargs)
            row.save(using=using)  # save(), not update(): beat notices the change through PeriodicTasks
            changed.append(f"updated {name!r}")
    return changed


def _first_or_create(model, using: str, fields: dict):
    # first(), not get_or_create: an admin may have made two equal schedules, which get() would refuse
    return model.objects.using(using).filter(**fields).order_by("pk").first() or model.objects.using(using).create(
        **fields
    )


def _json(value: list | dict) -> str:
    import json

    return json.dumps(value)


def schedule_sync_after_migrate(sender, *, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate receiver (for django_celery_beat only, see supportdesk.apps): skip a database whose beat tables
    are not there yet, as after `migrate django_celery_beat zero`."""
    from django_celery_beat.models import PeriodicTask

    if PeriodicTask._meta.db_table in connections[using].introspection.table_names():
        schedule_sync(using=using)
