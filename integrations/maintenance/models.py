"""Maintenance windows: AWS Health scheduled changes (read-only here), or entered by hand."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from tickets.models import Ticket

from ..accounts.models import AwsAccount, region_format

MAINTENANCE_RESOURCES = 200  # like the entities kept for a Health event
LONGEST_MAINTENANCE = timedelta(days=31)  # a window entered by hand; longer is a change freeze, not maintenance


class MaintenanceWindow(models.Model):
    """Planned work: an AWS Health scheduled change (read-only here), or entered by hand. No account: all of them."""

    title = models.CharField(max_length=120, blank=True)
    account = models.ForeignKey(AwsAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    health_event = models.OneToOneField(
        "integrations.HealthEvent",  # a string: health sits above maintenance (it records the windows)
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="maintenance_window",
    )
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    service = models.CharField(max_length=60, blank=True)
    region = models.CharField(max_length=30, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    resources = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="Who entered it by hand; empty for AWS Health.",
    )

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
