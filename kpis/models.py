"""KPI facts (derived from the ticket timeline, rebuildable), targets (admin-managed) and daily snapshots (kept)."""

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from notifications.models import Channel
from tickets.models import Queue, Severity, Ticket, aws_account_id


class TicketFact(models.Model):
    """One row per ticket: what its timeline says, flattened for aggregation.

    Derived data: `manage.py kpi_facts_rebuild` rebuilds every row from the timeline, and the refresh task keeps
    them current from new timeline events. Durations are whole seconds; buckets are quarter-powers of two
    (see selectors.BUCKETS_PER_DOUBLING), so percentiles over any range are a GROUP BY, not a sort.
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True, related_name="+")
    created_at = models.DateTimeField()
    created_day = models.DateField()
    # No foreign key constraints: facts are rebuilt in bulk, and the tickets table already enforces them.
    severity = models.ForeignKey(Severity, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    queue = models.ForeignKey(Queue, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    kind = models.CharField(max_length=20)
    environment = models.CharField(max_length=20, blank=True)
    account = models.CharField(max_length=12, blank=True)
    acknowledged_at = models.DateTimeField(null=True)
    first_resolved_at = models.DateTimeField(null=True)
    resolved_at = models.DateTimeField(null=True, help_text="The last resolution; empty while open.")
    resolved_day = models.DateField(null=True)
    response_due_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField()
    reopen_count = models.PositiveSmallIntegerField(default=0)
    agent_replies = models.PositiveSmallIntegerField(default=0)
    mtta_seconds = models.IntegerField(null=True)
    mttr_seconds = models.IntegerField(null=True)
    mtta_bucket = models.SmallIntegerField(null=True)
    mttr_bucket = models.SmallIntegerField(null=True)
    aws_case_opened_at = models.DateTimeField(null=True)
    aws_case_resolved_at = models.DateTimeField(null=True)
    # While the ticket's SLA clocks are paused: an open ticket's due times are judged at that moment, not now (they
    # move later when the clocks resume, and the status change that resumes them refreshes this row)
    sla_paused_since = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["created_day"], name="fact_created_day"),
            models.Index(fields=["resolved_day"], name="fact_resolved_day", condition=Q(resolved_day__isnull=False)),
            models.Index(fields=["account", "created_day"], name="fact_account_day", condition=~Q(account="")),
            models.Index(
                fields=["account", "resolved_day"],
                name="fact_account_resolved_day",
                condition=~Q(account="") & Q(resolved_day__isnull=False),
            ),
            # What is still open (the backlog, SLAs not yet decided), read from the index alone
            models.Index(
                fields=["created_day"],
                name="fact_open_day",
                condition=Q(resolved_at__isnull=True),
                include=[
                    "severity",
                    "queue",
                    "environment",
                    "created_at",
                    "acknowledged_at",
                    "first_resolved_at",
                    "response_due_at",
                    "resolution_due_at",
                    "sla_paused_since",
                ],
            ),
            models.Index(
                fields=["created_day"], name="fact_aws_case_day", condition=Q(aws_case_opened_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"KPI facts of ticket {self.ticket_id}"


class DailyRollup(models.Model):
    """Ticket counts per day and (severity, queue, environment), so long ranges sum a few rows per day.

    Derived from the facts, whole days at a time (see services). Counts keyed by the day the ticket was created,
    except `resolved` (the day of its last resolution). SLA counts hold decided tickets only: those still
    waiting are judged at read time, against the clock.
    """

    day = models.DateField()
    severity = models.ForeignKey(Severity, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    queue = models.ForeignKey(Queue, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    environment = models.CharField(max_length=20, blank=True)
    created = models.IntegerField(default=0)
    ever_resolved = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    response_met = models.IntegerField(default=0)
    response_missed = models.IntegerField(default=0)
    resolution_met = models.IntegerField(default=0)
    resolution_missed = models.IntegerField(default=0)
    fcr = models.IntegerField(default=0)
    fcr_total = models.IntegerField(default=0)
    aws_escalated = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "severity", "queue", "environment"], name="daily_rollup_once")
        ]

    def __str__(self) -> str:
        return f"KPI counts of {self.day}"


class FactCursor(models.Model):
    """The last timeline event the facts have absorbed; one row. Locked by the refresh, so runs take turns."""

    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"facts up to event {self.last_event_id}"


UNIT_SUFFIXES = {"minutes": " min", "hours": " h", "percent": "%", "money": " US$"}


class KpiTarget(models.Model):
    """ "SEV1 MTTA under 15 minutes, production": evaluated daily over a trailing window."""

    class Direction(models.TextChoices):
        AT_MOST = "at_most", "At most (lower is better)"
        AT_LEAST = "at_least", "At least (higher is better)"

    kpi = models.CharField("KPI", max_length=40)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    value = models.DecimalField(max_digits=14, decimal_places=2, help_text="In the KPI's unit (minutes, %, …).")
    window_days = models.PositiveSmallIntegerField(default=7, help_text="Evaluated over this many days to yesterday.")
    severity = models.ForeignKey(Severity, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    environment = models.CharField(max_length=20, blank=True, choices=Ticket.Environment.choices)
    account = models.CharField("AWS account", max_length=12, blank=True, validators=[aws_account_id])
    stakeholders = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    channels = models.ManyToManyField(Channel, blank=True, related_name="+")
    enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name = "KPI target"
        constraints = [
            models.CheckConstraint(
                condition=Q(window_days__gte=1, window_days__lte=366),
                name="kpi_target_window_days",
                violation_error_message="The window is 1 to 366 days.",
            )
        ]

    def __str__(self) -> str:
        from .registry import KPIS

        kpi = KPIS.get(self.kpi)
        sign = "≤" if self.direction == self.Direction.AT_MOST else "≥"
        dims = [d for d in (self.severity and self.severity.name, self.queue, self.environment, self.account) if d]
        where = f" ({', '.join(str(d) for d in dims)})" if dims else ""
        unit = UNIT_SUFFIXES.get(kpi.unit, "") if kpi else ""
        return f"{kpi.label if kpi else self.kpi} {sign} {self.value.normalize():f}{unit}{where}"

    @property
    def unit(self) -> str:
        from .registry import KPIS

        kpi = KPIS.get(self.kpi)
        return kpi.unit if kpi else ""

    def clean(self) -> None:
        from .registry import KPIS

        kpi = KPIS.get(self.kpi)
        if kpi is None:
            raise ValidationError({"kpi": "Choose one of the KPIs listed."})
        if self.value is None:
            return
        if self.value < 0:
            raise ValidationError({"value": f"A {kpi.label} target cannot be below zero."})
        if kpi.unit == "percent" and self.value > 100:
            raise ValidationError({"value": "A percentage target is between 0 and 100."})
        if kpi.unit == "count" and self.value != self.value.to_integral_value():
            raise ValidationError({"value": f"{kpi.label} is a count: a whole number."})

    @property
    def scope_key(self) -> str:
        """The dimensions as stored with the snapshots: names, not ids, so history reads without these rows."""
        params = {
            "queue": self.queue.slug if self.queue is not None else "",
            "severity": self.severity.name if self.severity is not None else "",
            "environment": self.environment,
            "account": self.account,
        }
        return urlencode(sorted((k, v) for k, v in params.items() if v))

    def is_met(self, value) -> bool:
        return value <= self.value if self.direction == self.Direction.AT_MOST else value >= self.value


class KpiSnapshot(models.Model):
    """A KPI's value on a day, over a window ending that day, in a scope. History: no link to any ticket."""

    day = models.DateField()
    kpi = models.CharField(max_length=40)
    scope_key = models.CharField(max_length=200, blank=True, help_text="The dimensions as a query string; empty: all.")
    window_days = models.PositiveSmallIntegerField()
    value = models.DecimalField(max_digits=16, decimal_places=2, null=True, help_text="Empty: nothing to measure.")
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "kpi", "scope_key", "window_days"], name="kpi_snapshot_once")
        ]
        indexes = [models.Index(fields=["kpi", "scope_key", "-day"], name="kpi_snapshot_latest")]

    def __str__(self) -> str:
        return f"{self.kpi} {self.scope_key or 'all'} on {self.day}: {self.value}"
