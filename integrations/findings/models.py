"""Trusted Advisor: its categories and checks, and the findings (grouped into tickets) they flag."""

import re

from django.db import models
from django.db.models import Q

from tickets.models import Ticket

from ..accounts.models import AwsAccount


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
    recommendation_arn = models.CharField(
        "recommendation resource ARN", max_length=2048, blank=True, help_text="What a Trusted Advisor exclusion names."
    )
    risk_accepted_at = models.DateTimeField(
        null=True, blank=True, help_text="An agent accepted the risk: excluded in Trusted Advisor, never reopened here."
    )
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
