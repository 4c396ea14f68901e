from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.models import AwsAccount
from tickets.models import Queue, Ticket


class Pillar(models.TextChoices):
    """The areas of the AWS Well-Architected Framework, which readiness checklists usually follow."""

    OPERATIONAL_EXCELLENCE = "operational_excellence", "Operational excellence"
    SECURITY = "security", "Security"
    RELIABILITY = "reliability", "Reliability"
    PERFORMANCE = "performance", "Performance efficiency"
    COST = "cost", "Cost optimisation"
    SUSTAINABILITY = "sustainability", "Sustainability"


class Risk(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ReviewTemplate(models.Model):
    """An admin-managed checklist. Reviews copy its questions when created, so editing it never rewrites history."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    scope = models.CharField(
        max_length=200, blank=True, help_text="What it is for, e.g. “any production workload” or “an AWS account”."
    )
    for_post_incident = models.BooleanField(
        "post-incident template",
        default=False,
        help_text="Used for the review opened automatically when a SEV1 or SEV2 incident is resolved.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["for_post_incident"], condition=Q(for_post_incident=True), name="one_post_incident_template"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TemplateQuestion(models.Model):
    template = models.ForeignKey(ReviewTemplate, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    pillar = models.CharField(max_length=30, choices=Pillar.choices)
    text = models.CharField(max_length=300)
    guidance = models.TextField(blank=True, help_text="What a good answer covers; shown next to the question.")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class Workload(models.Model):
    """A system that is reviewed: its queue fills the reviews in and receives their action tickets."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    owner_queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="workloads")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The manager who owns its reviews.",
    )
    aws_account = models.ForeignKey(AwsAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    environment = models.CharField(
        max_length=20, choices=Ticket.Environment.choices, default=Ticket.Environment.PRODUCTION
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReviewSchedule(models.Model):
    """A template reviewed for a workload every so many months; the daily task opens each review ahead of its date."""

    workload = models.ForeignKey(Workload, on_delete=models.CASCADE, related_name="schedules")
    template = models.ForeignKey(ReviewTemplate, on_delete=models.PROTECT, related_name="+")
    every_months = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(24)], help_text="3 for quarterly."
    )
    next_due_on = models.DateField(help_text="The due date of the next review; moves on as each review is opened.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["next_due_on", "id"]

    def __str__(self) -> str:
        return f"{self.template} for {self.workload}, every {self.every_months} months"


class Review(models.Model):
    class Status(models.TextChoices):
        DUE = "due", "Due"
        IN_PROGRESS = "in_progress", "In progress"
        AWAITING_ACTIONS = "awaiting_actions", "Awaiting actions"
        COMPLETED = "completed", "Completed"

    OPEN_STATUSES = (Status.DUE, Status.IN_PROGRESS)  # still to be filled in and submitted

    title = models.CharField(max_length=250)
    template = models.ForeignKey(ReviewTemplate, on_delete=models.PROTECT, related_name="reviews")
    workload = models.ForeignKey(Workload, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews")
    schedule = models.ForeignKey(
        ReviewSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    incident = models.OneToOneField(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="post_incident_review"
    )
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="+", help_text="Whose agents fill it in.")
    # Copied from the workload or the incident, so the KPIs filter reviews as they filter tickets
    environment = models.CharField(max_length=20, choices=Ticket.Environment.choices, blank=True)
    aws_account_id = models.CharField("AWS account", max_length=12, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DUE)
    due_on = models.DateField()
    timeline = models.JSONField(
        default=list, blank=True, help_text="The incident's public timeline when the review was opened."
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("manage_review", "Can create, own and submit readiness reviews")]
        constraints = [
            # The daily task may run twice (or on two workers): each occurrence of a schedule is one review
            models.UniqueConstraint(
                fields=["schedule", "due_on"], condition=Q(schedule__isnull=False), name="one_review_per_occurrence"
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="review_status_due"),
            models.Index(fields=["queue", "-id"], name="review_queue_id"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/reviews/{self.pk}/"

    def is_overdue(self, today=None) -> bool:
        return self.status in self.OPEN_STATUSES and self.due_on < (today or timezone.localdate())

    @property
    def is_editable(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def timeline_rows(self) -> list[dict]:
        """The snapshot with its times as datetimes again (JSON keeps them as ISO text)."""
        return [row | {"at": datetime.fromisoformat(row["at"])} for row in self.timeline]


class ReviewAnswer(models.Model):
    """One question of the review, copied from the template, and its answer."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="answers")
    position = models.PositiveSmallIntegerField()
    pillar = models.CharField(max_length=30, choices=Pillar.choices)
    question = models.CharField(max_length=300)
    guidance = models.TextField(blank=True)
    answer = models.TextField(blank=True, max_length=5000)
    risk = models.CharField(max_length=10, choices=Risk.choices, blank=True)
    notes = models.TextField(blank=True, max_length=5000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "position"], name="answer_position_once")]

    def __str__(self) -> str:
        return self.question


class ReviewAction(models.Model):
    """An action item: a ticket of kind readiness action. Title, severity, owner and status live on the ticket."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="actions")
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="readiness_action")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Action {self.ticket_id} of review {self.review_id}"
