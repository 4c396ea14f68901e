from datetime import timedelta
from uuid import uuid4

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tickets.models import Queue, Severity, Ticket

URGENT_MAX_RANK = 2  # SEV1 and SEV2: the band people are woken for
LONGEST_DELAY = timedelta(hours=24)


class Medium(models.TextChoices):
    """How a page reaches a person, quietest first: a rule may swap a step for a louder one, never a quieter.

    A Slack DM sits between email and SMS: it pushes to the phone at once with buttons that act, where mail waits in
    an inbox; but it needs the Slack app signed in, and Slack's own notification schedule and do-not-disturb hold
    it, where an SMS reaches any phone."""

    EMAIL = "email", "Email"
    SLACK = "slack", "Slack DM"
    SMS = "sms", "SMS"
    VOICE = "voice", "Phone call"


LOUDNESS = {Medium.EMAIL: 0, Medium.SLACK: 1, Medium.SMS: 2, Medium.VOICE: 3}
PHONE_MEDIA = (Medium.SMS, Medium.VOICE)
CONTACT_MEDIA = (*PHONE_MEDIA, Medium.SLACK)  # the media that need a verified contact (email is the account's)
SLACK_MEMBER_ID = r"^[UW][A-Z0-9]{6,19}$"


class Band(models.TextChoices):
    URGENT = "urgent", "SEV1 and SEV2"
    OTHER = "other", "SEV3 and below"


def delay_words(delay: timedelta) -> str:
    """ "at once", "after 5 min", "after 2 h" """
    minutes = int(delay.total_seconds() // 60)
    if not minutes:
        return "at once"
    return f"after {minutes} min" if minutes < 60 or minutes % 60 else f"after {minutes // 60} h"


def band_for(severity: Severity) -> str:
    return Band.URGENT if severity.rank <= URGENT_MAX_RANK else Band.OTHER


class ContactMethod(models.Model):
    """A person's number for SMS or for calls, in E.164, or their Slack member ID for DMs: usable once they typed
    back the code sent to it (or, for Slack, once Slack's lookup by their address found them). Email needs no row: it
    is their account's address."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods")
    medium = models.CharField(max_length=10, choices=[(m.value, m.label) for m in CONTACT_MEDIA])
    phone = models.CharField(max_length=16, blank=True, help_text="E.164, e.g. +447700900123 (SMS and calls).")
    slack_user_id = models.CharField("Slack member ID", max_length=20, blank=True, help_text="U… or W…, for Slack DMs.")
    verified_at = models.DateTimeField(null=True, blank=True)
    code_hash = models.CharField(max_length=128, blank=True, help_text="The verification code, hashed.")
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0, help_text="Wrong codes typed since it was sent.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["medium"]
        constraints = [
            models.UniqueConstraint(fields=["user", "medium"], name="contact_method_one_per_medium"),
            models.CheckConstraint(
                condition=Q(medium__in=[m.value for m in PHONE_MEDIA], slack_user_id="") & ~Q(phone="")
                | Q(medium=Medium.SLACK, phone="") & ~Q(slack_user_id=""),
                name="contact_method_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_medium_display()} to {self.address}"

    @property
    def address(self) -> str:
        """Where it goes: the number, or the Slack member ID."""
        return self.slack_user_id if self.medium == Medium.SLACK else self.phone

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class NotificationRule(models.Model):
    """One step of how a person is paged for a band of severities: this medium, this long after the page started if
    nobody acknowledged. A person's own (user set) or a queue's default for people without their own (queue set)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notification_rules"
    )
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    band = models.CharField(max_length=10, choices=Band.choices)
    delay = models.DurationField(
        default=timedelta(0),
        validators=[MinValueValidator(timedelta(0)), MaxValueValidator(LONGEST_DELAY)],
        help_text="After the page starts; 0 is at once.",
    )
    medium = models.CharField(max_length=10, choices=Medium.choices)

    class Meta:
        ordering = ["band", "delay", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, queue__isnull=True) | Q(user__isnull=True, queue__isnull=False),
                name="notification_rule_one_owner",
            ),
            models.UniqueConstraint(fields=["user", "band", "delay", "medium"], name="notification_rule_once_user"),
            models.UniqueConstraint(fields=["queue", "band", "delay", "medium"], name="notification_rule_once_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.get_medium_display()} {self.when}"

    @property
    def when(self) -> str:
        return delay_words(self.delay)


class Page(models.Model):
    """Paging one person about one ticket: the steps (a copy of the rules when it started) fire one by one, each on
    a timer carrying the token, until the ticket is acknowledged or resolved, or the steps run out."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pages")
    key = models.CharField(max_length=200, unique=True, help_text="The cause: one page per cause and person.")
    reason = models.CharField(max_length=300)
    band = models.CharField(max_length=10, choices=Band.choices)
    rules_from = models.CharField(
        max_length=120, help_text="Whose rules: the person's, a team's default, the fallback."
    )
    steps = models.JSONField(default=list, help_text='[{"delay": seconds, "medium": "sms"}, …] in order.')
    next_step = models.PositiveSmallIntegerField(default=0)
    token = models.UUIDField(default=uuid4, help_text="The step queued now carries it; an older one finds it stale.")
    started_at = models.DateTimeField(default=timezone.now)
    next_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_at"], condition=Q(stopped_at__isnull=True), name="page_due")]

    def __str__(self) -> str:
        return f"Page {self.pk} for ticket {self.ticket_id}"

    @property
    def is_active(self) -> bool:
        return self.stopped_at is None


class PageLink(models.Model):
    """A one-tap acknowledge link sent with one step of a page: signed (see paging.links), expiring, used once."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="links")
    via = models.CharField(max_length=10, choices=Medium.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Link {self.pk} ({self.via}) of page {self.page_id}"
