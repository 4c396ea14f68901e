"""AWS Health events as each account sees them."""

from django.db import models

from tickets.models import Ticket

from ..accounts.models import AwsAccount


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
