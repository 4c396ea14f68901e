"""The AWS accounts Supportdesk watches, what AWS allows for each, and a record of every poll."""

from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models

from awsgateway.clients import partition_refusal
from tickets.models import Queue, Ticket, aws_account_id

role_arn_format = RegexValidator(
    r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$",
    "Use an IAM role ARN such as arn:aws:iam::123456789012:role/SupportdeskRead.",
)


def role_arn_partition(value: str) -> None:
    if refusal := partition_refusal(value):
        raise ValidationError(refusal)


external_id_format = RegexValidator(r"^[\w+=,.@:/-]*$", "Letters, digits and +=,.@:/- only.")
region_format = RegexValidator(r"^[a-z]{2}(-[a-z]+)+-\d$", "Use region names such as eu-west-1.")


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
    # AWS Support cases opened outside Supportdesk are looked for among those opened since this time (less an overlap)
    cases_cursor = models.DateTimeField(null=True, blank=True, editable=False)
    # Security Hub: pushed findings are taken from any account; polling and write-back are the account's choice
    security_hub_enabled = models.BooleanField(
        "poll Security Hub",
        default=False,
        help_text="Read Security Hub findings (GuardDuty's too, where it sends them there) in each region of interest.",
    )
    security_hub_write_back = models.BooleanField(
        "mark findings resolved in Security Hub",
        default=False,
        help_text="When an agent resolves a finding's ticket, set the finding's workflow status to RESOLVED "
        "(the role needs securityhub:BatchUpdateFindings).",
    )
    security_hub_cursor = models.DateTimeField(null=True, blank=True, editable=False)

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
    SECURITY_HUB = "security_hub", "Security Hub"


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
