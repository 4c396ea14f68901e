import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q

from tickets.models import Comment, Queue, Ticket, aws_account_id

from .aws.clients import partition_refusal

role_arn_format = RegexValidator(
    r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$",
    "Use an IAM role ARN such as arn:aws:iam::123456789012:role/SupportdeskRead.",
)


def role_arn_partition(value: str) -> None:
    if refusal := partition_refusal(value):
        raise ValidationError(refusal)


external_id_format = RegexValidator(r"^[\w+=,.@:/-]*$", "Letters, digits and +=,.@:/- only.")
region_format = RegexValidator(r"^[a-z]{2}(-[a-z]+)+-\d$", "Use region names such as eu-west-1.")
MAINTENANCE_RESOURCES = 200  # like the entities kept for a Health event
LONGEST_MAINTENANCE = timedelta(days=31)  # a window entered by hand; longer is a change freeze, not maintenance


class ApiState(models.TextChoices):
    UNKNOWN = "unknown", "Not checked yet"
    AVAILABLE = "available", "Available"
    PLAN_TOO_LOW = "plan_too_low", "Needs a Business-level plan"
    DENIED = "denied", "Access denied"
    FAILING = "failing", "Failing"


class AwsAccount(models.Model):
    """An AWS account Supportdesk watches: how to reach it, and who owns what it reports."""

    class SupportPlan(models.TextChoices):
        BASIC = "basic", "Basic"
        DEVELOPER = "developer", "Developer"
        BUSINESS = "business", "Business"
        ENTERPRISE_ON_RAMP = "enterprise_on_ramp", "Enterprise On-Ramp"
        ENTERPRISE = "enterprise", "Enterprise"
        # The plans that replace several of the above from 2027
        BUSINESS_SUPPORT_PLUS = "business_support_plus", "Business Support+"
        ENTERPRISE_SUPPORT = "enterprise_support", "Enterprise Support"
        UNIFIED_OPERATIONS = "unified_operations", "Unified Operations"

    account_id = models.CharField("AWS account id", max_length=12, unique=True, validators=[aws_account_id])
    name = models.CharField(max_length=100)
    environment = models.CharField(
        max_length=20, choices=Ticket.Environment.choices, default=Ticket.Environment.PRODUCTION
    )
    support_plan = models.CharField(
        max_length=30,
        choices=SupportPlan.choices,
        default=SupportPlan.BASIC,
        help_text="What you believe the plan is; Supportdesk also checks what AWS actually allows.",
    )
    role_arn = models.CharField(
        "IAM role ARN",
        max_length=600,
        blank=True,
        validators=[role_arn_format, role_arn_partition],
        help_text="Assumed through STS. Leave empty to use the default credential chain.",
    )
    external_id = models.CharField(max_length=1224, blank=True, validators=[MinLengthValidator(2), external_id_format])
    regions = models.JSONField(default=list, blank=True, help_text='Regions of interest, e.g. ["eu-west-1"].')
    owner_queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="aws_accounts")
    is_organization_manager = models.BooleanField(
        "organisation management or delegated admin",
        default=False,
        help_text="Discover member accounts through AWS Organizations and read Health for the organisation.",
    )
    enabled = models.BooleanField(default=True)
    # What AWS itself says the account may do, checked at run time rather than trusted from the record
    support_api = models.CharField(max_length=20, choices=ApiState.choices, default=ApiState.UNKNOWN)
    case_severities = models.JSONField(default=list, blank=True, help_text="Severity codes AWS offers, lowest first.")
    capability_note = models.CharField(max_length=500, blank=True)
    capability_checked_at = models.DateTimeField(null=True, blank=True)
    # Organisation mode: members found through AWS Organizations are reached through this role in each of them
    member_role_name = models.CharField(
        max_length=64,
        blank=True,
        default="SupportdeskRead",
        validators=[RegexValidator(r"^[\w+=,.@-]*$", "An IAM role name, such as SupportdeskRead.")],
        help_text="For an organisation manager: the role Supportdesk assumes in each discovered member account.",
    )
    discovered_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="members", editable=False
    )
    # Health is read incrementally: events updated since this time (less an overlap) on the next poll
    health_cursor = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "AWS account"

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id})"

    def clean(self) -> None:
        regions = self.regions if isinstance(self.regions, list) else [None]
        if any(not isinstance(r, str) or not region_format.regex.match(r) for r in regions):  # type: ignore[union-attr]  # compiled
            raise ValidationError({"regions": 'A list of region names, such as ["eu-west-1", "us-east-1"].'})
        if self.external_id and not self.role_arn:
            raise ValidationError({"external_id": "An external id goes with an IAM role ARN."})


class Source(models.TextChoices):
    TRUSTED_ADVISOR = "trusted_advisor", "Trusted Advisor"
    HEALTH = "health", "AWS Health"
    ORGANIZATIONS = "organizations", "AWS Organizations"


class TrustedAdvisorCategory(models.Model):
    """How findings of a category are ticketed; seeded with AWS's categories, which are an open set."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    ticket_per_resource = models.BooleanField(
        default=False,
        help_text="One ticket per flagged resource instead of one per account and check (for example: security).",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "Trusted Advisor categories"

    def __str__(self) -> str:
        return self.name


# A column that describes a flagged resource and can change under it: a name, an instance or volume type, a class
DESCRIPTOR = re.compile(r"\b(name|type|class)\b", re.IGNORECASE)


class TrustedAdvisorCheck(models.Model):
    """A check as AWS describes it. Findings key on the check id: names change, and push events carry only the name."""

    class Ticketing(models.TextChoices):
        CATEGORY = "category", "As its category says"
        GROUPED = "grouped", "One ticket per account and check"
        PER_RESOURCE = "per_resource", "One ticket per resource"

    check_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255, db_index=True)
    category = models.CharField(max_length=40)
    description = models.TextField(blank=True)
    headings = models.JSONField(default=list, blank=True, help_text="The columns of a flagged resource, in order.")
    identity_headings = models.JSONField(
        default=list,
        blank=True,
        help_text="The columns that say which resource it is (not how it is doing). Polled and pushed findings "
        "with the same values here are the same finding. Filled from the headings; change only with care.",
    )
    ticketing = models.CharField(
        max_length=20,
        choices=Ticketing.choices,
        default=Ticketing.CATEGORY,
        help_text="Applies to resources flagged from now on; open tickets keep their findings.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_headings(self) -> list[str]:
        """What people know a flagged resource by: its identifying columns, with its name and type where given."""
        shown = [h for h in self.headings if h in self.identity_headings or DESCRIPTOR.search(h)]
        return shown or self.identity_headings


class FindingGroup(models.Model):
    """The one ticket for a set of findings: an (account, check), or a single resource when ticketed one by one."""

    account = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="finding_groups")
    ta_check = models.ForeignKey(TrustedAdvisorCheck, on_delete=models.PROTECT, related_name="+", verbose_name="check")
    resource_key = models.CharField(max_length=64, blank=True, help_text="Empty: the whole check for the account.")
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="finding_group")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "ta_check", "resource_key"], name="finding_group_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ta_check_id} in {self.account_id}" + (f" ({self.resource_key[:8]})" if self.resource_key else "")


_SAVINGS = ["estimated_monthly_savings", "account"]


class Finding(models.Model):
    """One flagged resource of one Trusted Advisor check in one account, whether polled or pushed."""

    class Status(models.TextChoices):
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"
        OK = "ok", "OK"

    account = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="findings")
    ta_check = models.ForeignKey(
        TrustedAdvisorCheck, on_delete=models.PROTECT, related_name="findings", verbose_name="check"
    )
    resource_key = models.CharField(max_length=64, help_text="Hash of the check's identifying columns.")
    group = models.ForeignKey(FindingGroup, on_delete=models.PROTECT, related_name="findings")
    resource_id = models.CharField(max_length=255, blank=True, help_text="Trusted Advisor's own (opaque) id.")
    resource_arn = models.CharField(max_length=1600, blank=True)
    region = models.CharField(max_length=30, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    details = models.JSONField(default=dict)
    estimated_monthly_savings = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    is_open = models.BooleanField(default=True)
    fingerprint = models.CharField(max_length=64, help_text="Hash of what AWS said last; equal means unchanged.")
    first_seen_at = models.DateTimeField()
    changed_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "ta_check", "resource_key"], name="finding_unique")]
        # The dashboard's AWS figures read these alone (index-only on PostgreSQL): open findings by check, and
        # savings found and realised over a date range
        indexes = [
            models.Index(fields=["group", "is_open"], name="finding_group_open"),
            models.Index(fields=["ta_check"], include=_SAVINGS, condition=Q(is_open=True), name="finding_open_check"),
            models.Index(fields=["first_seen_at"], include=_SAVINGS, name="finding_first_seen"),
            models.Index(fields=["resolved_at"], include=_SAVINGS, condition=Q(is_open=False), name="finding_resolved"),
        ]

    def __str__(self) -> str:
        return f"{self.ta_check_id}: {self.resource_id or self.resource_key}"


class HealthEvent(models.Model):
    """An AWS Health event as one account sees it (the same ARN can reach several accounts)."""

    account = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="health_events")
    arn = models.CharField("event ARN", max_length=1600)
    service = models.CharField(max_length=60)
    event_type_code = models.CharField(max_length=100)
    category = models.CharField(max_length=40)  # issue|accountNotification|scheduledChange|investigation, open set
    region = models.CharField(max_length=30, blank=True)
    status = models.CharField(max_length=20)  # open|closed|upcoming
    scope = models.CharField(max_length=20, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    last_updated_at = models.DateTimeField(help_text="AWS's lastUpdatedTime; an event changes only when it grows.")
    description = models.TextField(blank=True)
    entities = models.JSONField(default=list, blank=True, help_text="Affected resources: value, status, tags.")
    entity_count = models.PositiveIntegerField(default=0)
    ticket = models.OneToOneField(Ticket, null=True, on_delete=models.SET_NULL, related_name="health_event")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "arn"], name="health_event_unique")]

    def __str__(self) -> str:
        return f"{self.event_type_code} ({self.account_id})"


class MaintenanceWindow(models.Model):
    """Planned work: an AWS Health scheduled change (read-only here), or entered by hand. No account: all of them."""

    title = models.CharField(max_length=120, blank=True)
    account = models.ForeignKey(AwsAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    health_event = models.OneToOneField(
        HealthEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="maintenance_window"
    )
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    service = models.CharField(max_length=60, blank=True)
    region = models.CharField(max_length=30, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    resources = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        editable=False, help_text="Who entered it by hand; empty for AWS Health.",
    )  # fmt: skip

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["starts_at"], name="maintenance_starts")]

    def __str__(self) -> str:
        return f"{self.label} from {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.ends_at and self.starts_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The window must end after it starts."})
        if self.is_from_health:
            return  # as AWS says it, whatever the shape
        if self.ends_at is None:
            raise ValidationError({"ends_at": "Say when the window ends."})
        if self.starts_at and self.ends_at - self.starts_at > LONGEST_MAINTENANCE:
            raise ValidationError({"ends_at": f"A window lasts at most {LONGEST_MAINTENANCE.days} days."})
        if self.region and not region_format.regex.match(self.region):  # type: ignore[union-attr]  # compiled by RegexValidator
            raise ValidationError({"region": "Use a region name such as eu-west-1."})
        if not isinstance(self.resources, list) or not all(isinstance(r, str) for r in self.resources):
            raise ValidationError({"resources": "A list of resource ids or ARNs."})
        if len(self.resources) > MAINTENANCE_RESOURCES or any(len(r) > 1600 for r in self.resources):
            raise ValidationError({"resources": f"At most {MAINTENANCE_RESOURCES} resources, each an id or ARN."})

    @property
    def is_from_health(self) -> bool:
        return self.health_event_id is not None

    @property
    def label(self) -> str:
        """The title, or what it touches: "RDS maintenance in eu-west-1"."""
        where = f" in {self.region}" if self.region else ""
        return self.title or f"{self.service or 'AWS'} maintenance{where}"


class TagRoute(models.Model):
    """Sends findings whose affected resources carry a tag to a queue; untagged ones go to the owner queue."""

    tag_key = models.CharField(max_length=128)
    tag_value = models.CharField(max_length=256)
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower wins when several tags match.")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["tag_key", "tag_value"], name="tag_route_unique")]

    def __str__(self) -> str:
        return f"{self.tag_key}={self.tag_value} → {self.queue}"


class PollRun(models.Model):
    """One poll of one source for one account, and what it did: for the account page and KPIs.

    Written once, when the poll ends; a worker killed mid-poll leaves no row, and the retry writes the one."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        PARTIAL = "partial", "Partly failed"
        FAILED = "failed", "Failed"

    account = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="poll_runs")
    source = models.CharField(max_length=20, choices=Source.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    opened = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["account", "source", "-started_at"], name="poll_run_latest")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} poll of {self.account_id} at {self.started_at:%Y-%m-%d %H:%M}"


class SnsTopic(models.Model):
    """A topic allowed to push to Supportdesk. Anyone can point a genuine SNS topic at a public URL."""

    topic_arn = models.CharField(
        "topic ARN",
        max_length=256,
        unique=True,
        validators=[RegexValidator(r"^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:[0-9]{12}:[\w-]{1,256}(\.fifo)?$",
                                   "Use an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:health.")],
    )  # fmt: skip
    description = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_message_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["topic_arn"]
        verbose_name = "SNS topic"

    def __str__(self) -> str:
        return self.topic_arn


class SnsMessage(models.Model):
    """A message id already taken: SNS redelivers, and a redelivered message must change nothing."""

    message_id = models.CharField(max_length=100, unique=True)
    topic = models.ForeignKey(SnsTopic, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=40)
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "SNS message"

    def __str__(self) -> str:
        return self.message_id


class CaseSeverity(models.TextChoices):
    """AWS's case severities, lowest first, as the AWS console names them (AWS.md §2); plans offer some of them."""

    LOW = "low", "General guidance"
    NORMAL = "normal", "System impaired"
    HIGH = "high", "Production system impaired"
    URGENT = "urgent", "Production system down"
    CRITICAL = "critical", "Business-critical system down"


class SupportCase(models.Model):
    """The AWS Support case of a ticket. The row is written before AWS is asked, so a ticket opens one case at most."""

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
    service_code = models.CharField(max_length=100)
    category_code = models.CharField(max_length=100)
    subject = models.CharField(max_length=255)
    body = models.TextField(help_text="The first message, kept to open the case again if AWS never got it.")
    cc = models.JSONField("cc addresses", default=list, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Empty: a rule or an escalation opened it.",
    )  # fmt: skip
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
