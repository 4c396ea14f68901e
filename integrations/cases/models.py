"""AWS Support cases opened from tickets, and their communications."""

from django.conf import settings
from django.db import models

from tickets.models import Comment, Ticket

from ..accounts.models import AwsAccount


class CaseSeverity(models.TextChoices):
    """AWS's case severities, lowest first, as the AWS console names them (docs/aws.md#support-plans)."""

    LOW = "low", "General guidance"
    NORMAL = "normal", "System impaired"
    HIGH = "high", "Production system impaired"
    URGENT = "urgent", "Production system down"
    CRITICAL = "critical", "Business-critical system down"


class IssueType(models.TextChoices):
    """CreateCase's issueType (docs/aws.md#issue-types)."""

    TECHNICAL = "technical", "Technical"
    CUSTOMER_SERVICE = "customer-service", "Account and billing"


class SupportCase(models.Model):
    """The AWS Support case of a ticket: opened from it (the row is written before AWS is asked, so a ticket opens
    one case at most), or found in the account by the sync (opened in the console, or by AWS) and filed as a ticket."""

    class Origin(models.TextChoices):
        SUPPORTDESK = "supportdesk", "Opened from Supportdesk"
        CONSOLE = "console", "Opened outside Supportdesk"  # the console, the CLI, another tool
        AWS = "aws", "Opened by AWS"  # abuse reports, exposed access keys, …

    class State(models.TextChoices):
        OPENING = "opening", "Being opened"  # AWS asked, or about to be; the sync finds the case if the id was lost
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        FAILED = "failed", "Not opened"  # AWS refused: may be tried again

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="aws_case")
    account = models.ForeignKey(AwsAccount, on_delete=models.PROTECT, related_name="support_cases")
    case_id = models.CharField("case id", max_length=100, unique=True, null=True, blank=True)  # AWS's, opaque
    display_id = models.CharField("case number", max_length=30, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPENING)
    status = models.CharField("AWS status", max_length=40, blank=True)
    severity_code = models.CharField("severity", max_length=20, choices=CaseSeverity.choices)
    issue_type = models.CharField(max_length=20, choices=IssueType.choices, default=IssueType.TECHNICAL)
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.SUPPORTDESK)
    service_code = models.CharField(max_length=100)
    category_code = models.CharField(max_length=100)
    subject = models.CharField(max_length=255)
    body = models.TextField(help_text="The first message, kept to open the case again if AWS never got it.")
    cc = models.JSONField("cc addresses", default=list, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: a rule or an escalation opened it.",
    )
    opened_at = models.DateTimeField(help_text="When AWS was asked to open it; the case is not older.")
    last_synced_at = models.DateTimeField(null=True, blank=True, help_text="Or, while opening, the last attempt.")
    note = models.CharField(max_length=500, blank=True, help_text="For people, e.g. why the severity is lower.")
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "state"], name="support_case_account_state")]
        verbose_name = "AWS Support case"

    def __str__(self) -> str:
        return self.display_id or self.case_id or f"case for ticket {self.ticket_id}"


class CaseCommunication(models.Model):
    """A message on a case. Outgoing rows are an outbox: written with sent_at empty, sent once, then stamped."""

    class Direction(models.TextChoices):
        IN = "in", "From AWS"
        OUT = "out", "From Supportdesk"

    case = models.ForeignKey(SupportCase, on_delete=models.CASCADE, related_name="communications")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    body = models.TextField()
    submitted_by = models.CharField(max_length=320, blank=True)
    time_created = models.DateTimeField(null=True, blank=True, help_text="AWS's time for the message.")
    aws_key = models.CharField(
        max_length=64, blank=True, help_text="Hash of AWS's sender, time and body; empty until AWS lists it."
    )
    comment = models.OneToOneField(Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [  # each message AWS lists is recorded once, however often the sync reads it
            models.UniqueConstraint(
                fields=["case", "aws_key"], condition=~models.Q(aws_key=""), name="case_communication_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} on {self.case_id}"
