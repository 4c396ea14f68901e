from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import uuid4
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from integrations.models import CaseSeverity
from notifications.models import Channel
from supportdesk.zones import validate_time_zone
from tickets.models import Queue, Severity

from .calendars import MIDNIGHT, WorkingWeek

if TYPE_CHECKING:
    pass

at_least_a_minute = MinValueValidator(timedelta(minutes=1), "Use at least one minute.")
not_negative = MinValueValidator(timedelta(0), "A delay cannot be negative.")


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class BusinessCalendar(models.Model):
    """When a team works: hours per weekday in one time zone, minus holidays. SLA clocks run only then."""

    name = models.CharField(max_length=80, unique=True)
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone], help_text="An IANA name, e.g. Europe/London."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"

    def working_week(self) -> WorkingWeek:
        """Reads hours and holidays through prefetches when the caller made them."""
        hours: dict[int, list] = {}
        for row in sorted(self.hours.all(), key=lambda r: (r.weekday, r.opens)):
            hours.setdefault(row.weekday, []).append((row.opens, row.closes))
        return WorkingWeek(
            zone=ZoneInfo(self.time_zone),
            hours={day: tuple(spans) for day, spans in hours.items()},
            holidays=frozenset(h.date for h in self.holidays.all()),
        )


class WorkingHours(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")) | Q(closes=MIDNIGHT),
                name="working_hours_close_after_open",
                violation_error_message="Working hours must end after they start (00:00 for midnight).",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M} to {self.closes:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"],
                name="holiday_once_per_calendar",
                violation_error_message="This date is already a holiday in this calendar.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class EscalationPolicy(models.Model):
    """Who hears about a ticket, and when, until someone acknowledges it."""

    name = models.CharField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    repeat = models.PositiveSmallIntegerField(
        "repeat times",
        default=0,
        validators=[MaxValueValidator(9)],
        help_text="Run the chain again from the first step this many times while nobody acknowledges.",
    )
    repeat_after = models.DurationField(
        default=timedelta(minutes=5),
        validators=[at_least_a_minute],
        help_text="How long after the last step a repeat starts the first step again.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "escalation policies"

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    class Action(models.TextChoices):
        NOTIFY_ASSIGNEE = "notify_assignee", "Notify the assignee"
        NOTIFY_ONCALL = "notify_oncall", "Notify the queue's on-call"
        NOTIFY_MANAGERS = "notify_managers", "Notify the queue's managers"
        NOTIFY_CHANNEL = "notify_channel", "Notify a channel"
        OPEN_AWS_CASE = "open_aws_case", "Open an AWS Support case"

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    delay = models.DurationField(
        default=timedelta(0), validators=[not_negative], help_text="After the previous step (or the start)."
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="For a channel step."
    )
    oncall_layer = models.PositiveSmallIntegerField(
        "on-call layer",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="For an on-call step: 1 the primary, 2 the secondary…; empty: every layer.",
    )
    aws_severity = models.CharField(
        "AWS severity",
        max_length=10,
        choices=CaseSeverity.choices,
        blank=True,
        help_text="The most an AWS Support case step asks for; opened at the highest the account's plan allows.",
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "position"],
                name="escalation_step_position_once",
                violation_error_message="Two steps of a policy cannot share a position.",
            ),
            models.CheckConstraint(
                condition=Q(delay__gte=timedelta(0)),
                name="escalation_step_delay_not_negative",
                violation_error_message="A delay cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.get_action_display()} after {self.delay}"

    def clean(self) -> None:
        errors = {}
        if self.action == self.Action.OPEN_AWS_CASE and not self.aws_severity:
            errors["aws_severity"] = "Choose the severity to ask AWS for."
        if self.action != self.Action.OPEN_AWS_CASE and self.aws_severity:
            errors["aws_severity"] = "Only an AWS Support case step has a severity."
        if self.action == self.Action.NOTIFY_CHANNEL and not self.channel_id:
            errors["channel"] = "Choose the channel to notify."
        if self.action != self.Action.NOTIFY_CHANNEL and self.channel_id:
            errors["channel"] = "Only a channel step has a channel."
        if self.action != self.Action.NOTIFY_ONCALL and self.oncall_layer is not None:
            errors["oncall_layer"] = "Only an on-call step has a layer."
        if errors:
            raise ValidationError(errors)


class SlaPolicy(models.Model):
    """Targets for a severity, in one queue or in any; the queue's own policy wins over the general one."""

    severity = models.ForeignKey(Severity, on_delete=models.CASCADE, related_name="+")
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="Empty: any queue."
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_policies",
        help_text="Empty: the clock runs 24x7.",
    )
    acknowledge_within = models.DurationField(validators=[at_least_a_minute], help_text="e.g. 00:30:00")
    resolve_within = models.DurationField(validators=[at_least_a_minute], help_text="e.g. 2 days, 00:00:00")
    warn_at = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="Warn when this percent of the time has passed.",
    )
    escalation_policy = models.ForeignKey(
        EscalationPolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sla_policies",
        help_text="Started when a target is breached.",
    )
    pause_on_requester = models.BooleanField(
        "pause while waiting on the requester",
        default=True,
        help_text="The clocks stop while the ticket waits on the requester's answer; the due times move later by the "
        "time waited (working time, with a calendar).",
    )
    pause_on_aws = models.BooleanField(
        "pause while waiting on AWS",
        default=False,
        help_text="Off by default: to the requester, time spent waiting on AWS Support is still time their problem "
        "is not solved, and AWS's own response times are part of what we promise. Turn it on where the agreement "
        "leaves out time with the vendor.",
    )
    update_every = models.DurationField(
        null=True,
        blank=True,
        validators=[at_least_a_minute],
        help_text="How often the team posts a public update while the ticket is open (for SEV1 and SEV2, e.g. "
        "00:30:00); the assignee, else the queue's on-call and channels, is reminded once per overdue period. "
        "Empty: no update cadence.",
    )

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["severity", "queue"],
                condition=Q(queue__isnull=False),
                name="sla_policy_once_per_severity_queue",
                violation_error_message="This queue already has a policy for this severity.",
            ),
            models.UniqueConstraint(
                fields=["severity"],
                condition=Q(queue__isnull=True),
                name="sla_policy_once_per_severity",
                violation_error_message="There is already a policy for this severity in any queue.",
            ),
            models.CheckConstraint(
                condition=Q(warn_at__gte=1, warn_at__lte=99),
                name="sla_policy_warn_at_percent",
                violation_error_message="Warn at a percent between 1 and 99.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.severity.name} in {self.queue.name if self.queue is not None else 'any queue'}"


class Target(models.TextChoices):
    RESPONSE = "response", "Response"
    RESOLUTION = "resolution", "Resolution"


class TicketSlaState(models.Model):
    """The SLA clock's bookkeeping for one ticket: when to warn, what was recorded, when to look next.

    Due times stay on the ticket, where pages and filters read them, and so do the pause and the next update due.
    `next_check_at` is the earliest warning, breach or update reminder still to record, so the sweep reads only the
    tickets that have something due; a paused clock has none.
    """

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+")
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    response_warned_at = models.DateTimeField(null=True, blank=True)
    response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    # While paused (the ticket's sla_paused_since): the status that paused the clocks, named when they resume
    paused_status = models.CharField(max_length=20, blank=True)
    # How far pauses moved the response due time: only those while the response clock ran (the resolution clock's
    # total is the ticket's sla_paused_for); a change of policy counts the due times again from filing plus these
    response_paused_for = models.DurationField(default=timedelta(0), db_default=timedelta(0))

    class Meta:
        verbose_name = "ticket SLA state"
        indexes = [
            models.Index(fields=["next_check_at"], condition=Q(next_check_at__isnull=False), name="sla_state_next")
        ]

    def __str__(self) -> str:
        return f"SLA of ticket {self.ticket_id}"


class TicketEscalation(models.Model):
    """A ticket's run through an escalation policy. The token changes at every step, so a step queued twice (a
    redelivered task, the sweep and the timer at once) finds it stale and exits."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200)
    next_step = models.PositiveSmallIntegerField(default=0, help_text="How many steps of this round have run.")
    round = models.PositiveSmallIntegerField(default=0, help_text="How many times the chain has repeated.")
    token = models.UUIDField(default=uuid4)
    next_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_at"], name="escalation_next_at", condition=Q(stopped_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.policy} for ticket {self.ticket_id}"

    @property
    def is_active(self) -> bool:
        return self.stopped_at is None
