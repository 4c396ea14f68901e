import os
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:
    from accounts.models import User

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #d92d20.")
aws_account_id = RegexValidator(r"^[0-9]{12}$", "An AWS account id is exactly 12 digits.")


class Severity(models.Model):
    """Admin-configured levels; rank 1 is the most severe."""

    name = models.CharField(max_length=20, unique=True)
    label = models.CharField(max_length=60)
    rank = models.PositiveSmallIntegerField(unique=True)
    colour = models.CharField(max_length=7, validators=[hex_colour])
    response_target = models.DurationField(help_text="Time to acknowledge, e.g. 00:15:00.")
    resolution_target = models.DurationField(help_text="Time to resolve, e.g. 04:00:00.")
    description = models.TextField(help_text="When to use this severity.")

    class Meta:
        ordering = ["rank"]
        verbose_name_plural = "severities"

    def __str__(self) -> str:
        return f"{self.name} · {self.label}"


class Queue(models.Model):
    """A team and the tickets routed to it."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    members: "models.ManyToManyField[User, QueueMember]" = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="QueueMember", related_name="support_queues"
    )
    oncall_contact = models.CharField(max_length=200, blank=True, help_text="Pager, phone or email for out of hours.")
    default_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_default = models.BooleanField(default=False, help_text="Where requests go when the requester picks no queue.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_queue")
        ]

    def __str__(self) -> str:
        return self.name


class QueueMember(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["queue", "user"], name="queue_member_once")]

    def __str__(self) -> str:
        return f"{self.user} in {self.queue}"


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Descriptions and comments, on the pages and in the API alike: a long incident report, not a log (attach those)
LONG_TEXT_MAX = 50_000


class Ticket(models.Model):
    # Set by the read paths (tickets/selectors.py) on the instances they return, not columns
    event_count: int  # ticket_detail(for_page=True)
    watcher_people: list["User"]
    tag_names: list[str]

    class Kind(models.TextChoices):
        INCIDENT = "incident", "Incident"
        SERVICE_REQUEST = "service_request", "Service request"
        IT_REQUEST = "it_request", "IT request"
        AWS_FINDING = "aws_finding", "AWS finding"
        AWS_HEALTH = "aws_health", "AWS health event"
        READINESS_ACTION = "readiness_action", "Readiness action"

    class Status(models.TextChoices):
        NEW = "new", "New"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        IN_PROGRESS = "in_progress", "In progress"
        WAITING_REQUESTER = "waiting_requester", "Waiting on requester"
        WAITING_AWS = "waiting_aws", "Waiting on AWS"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    class Environment(models.TextChoices):
        PRODUCTION = "production", "Production"
        STAGING = "staging", "Staging"
        DEVELOPMENT = "development", "Development"

    FILEABLE_KINDS = (Kind.INCIDENT, Kind.SERVICE_REQUEST, Kind.IT_REQUEST)  # the rest come from AWS and reviews
    OPEN_STATUSES = (
        Status.NEW,
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.WAITING_REQUESTER,
        Status.WAITING_AWS,
    )

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INCIDENT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    severity = models.ForeignKey(Severity, on_delete=models.PROTECT, related_name="tickets", db_index=False)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="tickets", db_index=False)
    # The composite indexes in Meta lead with these columns; single-column ones would be redundant.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        db_index=False,
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets", db_index=False
    )
    watchers: "models.ManyToManyField[User, Watch]" = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Watch", related_name="watched_tickets"
    )
    environment = models.CharField(max_length=20, choices=Environment.choices, blank=True)
    aws_account_id = models.CharField("AWS account", max_length=12, blank=True, validators=[aws_account_id])
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    escalation_level = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    response_due_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField()
    # Kept by the SLA clocks (escalation) beside the due times, for pages and lists to read with the row
    sla_paused_since = models.DateTimeField(
        "SLA paused since", null=True, blank=True, help_text="Set while the SLA clocks stand still (waiting)."
    )
    sla_paused_for = models.DurationField(  # db_default too: bulk loads (the bench seed's COPY) leave it out
        "SLA paused for",
        default=timedelta(0),
        db_default=timedelta(0),
        help_text="In all, in the clock's working time; the due times moved by it.",
    )
    next_update_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the team owes a public update (the SLA policy's update cadence)."
    )

    class Meta:
        permissions = [
            ("view_all_tickets", "Can see every ticket"),
            ("work_ticket", "Can acknowledge, assign, change and escalate tickets of their queues"),
            ("view_internal_notes", "Can read internal notes"),
            ("view_dashboards", "Can see KPI dashboards"),
        ]
        # Each list filter leads an index that ends in id, so "newest first" pages walk it in order.
        indexes = [
            models.Index(fields=["queue", "-id"], name="ticket_queue_id"),
            models.Index(fields=["requester", "-id"], name="ticket_requester_id"),
            models.Index(fields=["assignee", "-id"], name="ticket_assignee_id"),
            models.Index(fields=["status", "-id"], name="ticket_status_id"),
            models.Index(fields=["severity", "-id"], name="ticket_severity_id"),
            models.Index(fields=["kind", "-id"], name="ticket_kind_id"),
            models.Index(fields=["environment", "-id"], name="ticket_environment_id"),
            models.Index(fields=["aws_account_id", "-id"], name="ticket_account_id"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            # Created ranges: the list walks it newest first, trends and KPIs aggregate over a stretch of it
            models.Index(fields=["created_at", "id"], name="ticket_created"),
            models.Index(fields=["resolution_due_at"], name="ticket_open_due", condition=Q(resolved_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return f"/tickets/{self.reference}/"

    @property
    def reference(self) -> str:
        return f"{settings.TICKET_REFERENCE_PREFIX}-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_breaching(self, now: datetime | None = None) -> bool:
        """Past a due time it has not met: no acknowledgement in time, or still unresolved. A paused clock stands
        at the moment it paused: its due times move later when it resumes."""
        if not self.is_open:
            return False
        now = self.sla_paused_since or now or timezone.now()
        return self.resolution_due_at < now or (self.acknowledged_at is None and self.response_due_at < now)


class Watch(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="watch_once")]
        indexes = [models.Index(fields=["user", "ticket"], name="watch_user_ticket")]

    def __str__(self) -> str:
        return f"{self.user} watches {self.ticket_id}"


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    is_internal = models.BooleanField(default=False, help_text="Internal notes are hidden from requesters.")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{'Note' if self.is_internal else 'Comment'} on {self.ticket_id}"


STORED_NAME_BYTES = 100  # of a stored file's name; filesystems allow 255 (a 250-character name was a 500)


def attachment_path(instance: "Attachment", filename: str) -> str:
    """Where a file is stored: a short name that keeps its extension; `Attachment.filename` keeps the whole one."""
    stem, extension = os.path.splitext(filename)
    room = STORED_NAME_BYTES - len(extension.encode())
    stem = stem.encode()[: max(room, 1)].decode(errors="ignore")  # bytes, not characters: é is two of them
    return f"attachments/{instance.ticket_id}/{timezone.now():%Y%m%d%H%M%S%f}-{stem}{extension[:20]}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(Comment, null=True, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)  # as uploaded (Django cuts longer names to 255), for display
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Timeline events are append-only.")


class TicketEvent(models.Model):
    """One change to a ticket. The history users read, the audit trail, and the input for KPIs."""

    files: list["Attachment"]  # set by ticket_timeline on the events it returns, not a column

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        FIELD_CHANGED = "field_changed", "Field changed"
        STATUS_CHANGED = "status_changed", "Status changed"
        ASSIGNED = "assigned", "Assigned"
        COMMENTED = "commented", "Commented"
        ESCALATED = "escalated", "Escalated"
        WATCHER_ADDED = "watcher_added", "Watcher added"
        WATCHER_REMOVED = "watcher_removed", "Watcher removed"
        AWS_UPDATED = "aws_updated", "Updated from AWS"
        NOTIFIED = "notified", "Notification"
        RULE_APPLIED = "rule_applied", "Rule applied"
        SLA_WARNED = "sla_warned", "SLA breach approaching"
        SLA_BREACHED = "sla_breached", "SLA breached"
        SLA_RESUMED = "sla_resumed", "SLA clock resumed"
        UPDATE_OVERDUE = "update_overdue", "Update overdue"
        AWS_CASE = "aws_case", "AWS Support case"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", db_index=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    comment = models.ForeignKey(Comment, null=True, on_delete=models.CASCADE, related_name="+")
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["ticket", "id"], name="event_ticket_id")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Timeline events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Timeline events are append-only; they go only with their ticket.")


class SavedView(models.Model):
    """A person's named list filters ("my SEV1-2 in production"): the list's query string, checked by its filter
    form when saved. It only narrows the list, which always starts from what the person may see."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=1000, blank=True)
    shared_with = models.ForeignKey(
        Queue,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The members of this queue see the view too (they may not change it).",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_once")]

    def __str__(self) -> str:
        return self.name


class CannedReply(models.Model):
    """A reusable reply. Without an owner it is the team's (kept by admins and managers), for every queue or one;
    with an owner it is that person's own. Placeholders such as {{ requester }} are filled in plain text."""

    title = models.CharField(max_length=80)
    body = models.TextField(max_length=LONG_TEXT_MAX)
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="Empty: every queue."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_replies",
        help_text="Empty: the team's reply, offered to every agent of the queue.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name_plural = "canned replies"
        indexes = [models.Index(fields=["owner", "title"], name="canned_reply_owner")]

    def __str__(self) -> str:
        return self.title
