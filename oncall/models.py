import secrets
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from supportdesk.zones import validate_time_zone
from tickets.models import Queue

from . import shifts


def feed_token() -> str:
    """A secret for an iCal feed's address: whoever holds the URL reads the feed, so it is long and random."""
    return secrets.token_urlsafe(24)


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Schedule(models.Model):
    """A queue's (team's) on-call: its layers in order, the first the primary."""

    queue = models.OneToOneField(Queue, on_delete=models.CASCADE, related_name="oncall_schedule")
    feed_token = models.CharField(max_length=64, unique=True, default=feed_token, editable=False)

    class Meta:
        ordering = ["queue__name"]
        permissions = [("manage_schedule", "Can edit any on-call schedule and see its gaps")]

    def __str__(self) -> str:
        return f"On-call for {self.queue}"


class Layer(models.Model):
    class Shift(models.TextChoices):
        DAILY = shifts.DAILY, "Daily"
        WEEKLY = shifts.WEEKLY, "Weekly"
        CUSTOM = shifts.CUSTOM, "Custom hours"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    position = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)], help_text="1 is the primary, 2 the secondary…"
    )
    name = models.CharField(max_length=60, help_text="e.g. Primary, Secondary, Europe, Americas.")
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Hand-offs and restrictions are local times in this zone, e.g. Europe/London.",
    )
    shift = models.CharField(max_length=10, choices=Shift.choices, default=Shift.WEEKLY)
    shift_hours = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 28)],
        help_text="Custom hours only: each shift lasts this many real hours.",
    )
    handoff_time = models.TimeField(default=time(9))
    start_date = models.DateField(help_text="The first hand-off, to the first member; on the hand-off weekday.")
    handoff_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY, help_text="Weekly shifts only."
    )

    class Meta:
        ordering = ["schedule", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "position"],
                name="oncall_layer_position_once",
                violation_error_message="Two layers of a schedule cannot share a position.",
            ),
            models.CheckConstraint(
                condition=Q(shift_hours__gte=1, position__gte=1),
                name="oncall_layer_hours_and_position",
                violation_error_message="A shift lasts at least an hour, and layers count from 1.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.schedule.queue.name})"

    def clean(self) -> None:
        if self.shift == self.Shift.WEEKLY and self.start_date and self.start_date.weekday() != self.handoff_weekday:
            day = Weekday(self.handoff_weekday).label
            raise ValidationError({"start_date": f"The first hand-off must be on a {day}, the hand-off weekday."})

    def plan(self, *, covers: bool = True) -> shifts.LayerPlan:
        """The layer for the arithmetic; reads members, restrictions and overrides through prefetches when made."""
        return shifts.LayerPlan(
            zone=ZoneInfo(self.time_zone),
            shift=self.shift,
            start_day=self.start_date,
            handoff_time=self.handoff_time,
            hours=self.shift_hours,
            members=[m.user for m in self.members.all()],
            windows=[shifts.Window(r.weekday, r.starts, r.ends) for r in self.restrictions.all()],
            covers=[shifts.Cover(o.user, o.starts_at, o.ends_at) for o in self.overrides.all()] if covers else [],
            key=self.pk,
            position=self.position,
        )


class LayerMember(models.Model):
    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["layer", "position"],
                name="oncall_layer_member_position_once",
                violation_error_message="Two members cannot share a position.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.user}"


class Restriction(models.Model):
    """A window in which a restricted layer has someone (local times in the layer's zone); outside them all, the
    layer has nobody. An end at or before the start runs past midnight."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="restrictions")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField(help_text="00:00 is midnight; before the start runs into the next day.")

    class Meta:
        ordering = ["weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(starts=F("ends")),
                name="oncall_restriction_not_empty",
                violation_error_message="A restriction must end at another time than it starts.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M} to {self.ends:%H:%M}"


class Override(models.Model):
    """Someone covering a stretch of a layer: a holiday, a sick day, an accepted swap."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="oncall_override_ends_after_start",
                violation_error_message="An override must end after it starts.",
            )
        ]
        indexes = [models.Index(fields=["layer", "ends_at"], name="oncall_override_layer_end")]

    def __str__(self) -> str:
        return f"{self.user} from {self.starts_at:%Y-%m-%d %H:%M}"


class Swap(models.Model):
    """One engineer asks another to take a stretch of their shifts (and, in return, may take one of theirs).
    Accepted, it becomes overrides; until then nothing changes."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="swaps")
    proposer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(help_text="The proposer's stretch the recipient takes.")
    ends_at = models.DateTimeField()
    return_starts_at = models.DateTimeField(null=True, blank=True, help_text="The recipient's stretch, if any.")
    return_ends_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="oncall_swap_ends_after_start",
                violation_error_message="A swap must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(return_starts_at__isnull=True, return_ends_at__isnull=True)
                | Q(return_ends_at__gt=F("return_starts_at")),
                name="oncall_swap_return_ends_after_start",
                violation_error_message="The stretch in return must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposer} → {self.recipient} from {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def length(self) -> timedelta:
        return self.ends_at - self.starts_at


class PersonFeed(models.Model):
    """A person's secret iCal address for their own shifts, made on first use and regenerable."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_feed")
    token = models.CharField(max_length=64, unique=True, default=feed_token)

    def __str__(self) -> str:
        return f"Feed of {self.user}"
