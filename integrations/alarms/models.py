"""CloudWatch alarms as pushes reported them, and the admin's mapping of alarms to severities."""

from django.core.exceptions import ValidationError
from django.db import models

from awsgateway.cloudwatch import console_url
from tickets.models import Severity, Ticket

from ..accounts.models import AwsAccount

_COMPARISONS = {
    "GreaterThanOrEqualToThreshold": "≥",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "≤",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside the band",
    "LessThanLowerThreshold": "below the band",
    "GreaterThanUpperThreshold": "above the band",
}


def comparison_text(comparison: str, threshold: float | None) -> str:
    """ "≥ 80" for GreaterThanOrEqualToThreshold and 80.0; anomaly bands have no threshold to show."""
    sign = _COMPARISONS.get(comparison, comparison)
    return sign if threshold is None else f"{sign} {threshold:g}"


def statistic_text(statistic: str) -> str:
    """ "Sample count" for the SNS message's SAMPLE_COUNT; EventBridge's "Average" and percentiles as they are."""
    return statistic.replace("_", " ").capitalize() if statistic.isupper() else statistic


class Alarm(models.Model):
    """One alarm of one account and region, its latest state, and the ticket its ALARM episodes share."""

    class State(models.TextChoices):
        ALARM = "ALARM", "In alarm"
        OK = "OK", "OK"
        INSUFFICIENT_DATA = "INSUFFICIENT_DATA", "Insufficient data"

    account = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="alarms")
    region = models.CharField(max_length=30)
    name = models.CharField(max_length=255)
    arn = models.CharField("alarm ARN", max_length=1600, blank=True)
    description = models.CharField(max_length=1024, blank=True)
    state = models.CharField(max_length=20, choices=State.choices)
    reason = models.CharField(max_length=1023, blank=True)
    # AWS's StateChangeTime of the change applied last: an older one arriving late changes nothing
    state_changed_at = models.DateTimeField()
    metric = models.JSONField(default=dict, blank=True, help_text="What the alarm watches, as AWS last said.")
    rule = models.TextField(blank=True, help_text="A composite alarm's rule.")
    ticket = models.OneToOneField(Ticket, null=True, on_delete=models.SET_NULL, related_name="alarm")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "region", "name"], name="alarm_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.region})"

    @property
    def console_url(self) -> str:
        return console_url(region=self.region, name=self.name)

    @property
    def condition(self) -> str:
        """When it alarms, as people read it: "Average ≥ 80"; "" when AWS did not say (EventBridge, composites)."""
        if not self.metric.get("comparison"):
            return ""
        statistic = statistic_text(self.metric.get("statistic", ""))
        return f"{statistic} {comparison_text(self.metric['comparison'], self.metric.get('threshold'))}".strip()

    @property
    def dimensions(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.metric.get("dimensions", []))


class AlarmSeverity(models.Model):
    """Alarms whose name starts with a prefix, or that carry a tag, get a severity; the first match wins."""

    name_prefix = models.CharField(max_length=255, blank=True, help_text="Matches alarm names starting with this.")
    tag_key = models.CharField(max_length=128, blank=True)
    tag_value = models.CharField(
        max_length=256, blank=True, help_text="Tags reach Supportdesk only through EventBridge (docs/admin-guide.md)."
    )
    severity = models.ForeignKey(Severity, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower is tried first.")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "alarm severity"
        verbose_name_plural = "alarm severities"
        constraints = [
            models.CheckConstraint(  # a prefix or a tag, never both, never neither
                condition=(models.Q(name_prefix="") & ~models.Q(tag_key=""))
                | (~models.Q(name_prefix="") & models.Q(tag_key="", tag_value="")),
                name="alarm_severity_prefix_or_tag",
            )
        ]

    def __str__(self) -> str:
        what = f"name starts {self.name_prefix!r}" if self.name_prefix else f"{self.tag_key}={self.tag_value}"
        return f"{what} → {self.severity.name}"

    def clean(self) -> None:
        if bool(self.name_prefix) == bool(self.tag_key):
            raise ValidationError("Give either a name prefix or a tag key (with its value), not both.")
        if self.tag_value and not self.tag_key:
            raise ValidationError("A tag value needs its tag key.")
