from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from escalation.models import EscalationPolicy
from integrations.models import CaseSeverity
from notifications.models import Channel
from tickets.models import Queue, Severity, Ticket


class Rule(models.Model):
    """When a ticket matches every condition given (an empty condition matches anything), the actions apply.

    Rules run in order of position; a rule may stop the ones after it. Conditions see the ticket as it was
    when the change happened, before any rule acted.
    """

    class Trigger(models.TextChoices):
        CREATED = "created", "When a ticket is created"
        CHANGED = "changed", "When a ticket is created or changes"

    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    enabled = models.BooleanField(default=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.CREATED)
    stop_after = models.BooleanField("stop here", default=False, help_text="When it matches, skip the rules after it.")

    # Conditions
    kinds = models.JSONField(default=list, blank=True, help_text="Any of these kinds.")
    environments = models.JSONField(default=list, blank=True, help_text="Any of these environments.")
    account_ids = models.JSONField("AWS accounts", default=list, blank=True, help_text="Any of these account ids.")
    tags = models.JSONField(default=list, blank=True, help_text="Carries any of these tags.")
    text = models.CharField(max_length=200, blank=True, help_text="Title or description contains this (any case).")
    min_severity = models.ForeignKey(
        Severity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="severity at least",
        help_text="This severity or a more severe one.",
    )
    ta_checks = models.JSONField("Trusted Advisor checks", default=list, blank=True, help_text="Check ids.")
    ta_categories = models.JSONField("Trusted Advisor categories", default=list, blank=True)
    health_services = models.JSONField("Health services", default=list, blank=True, help_text="e.g. EC2, RDS.")
    health_categories = models.JSONField(
        "Health event categories", default=list, blank=True, help_text="issue, scheduledChange, accountNotification."
    )
    in_maintenance = models.BooleanField(
        "raised during maintenance",
        default=False,
        help_text="Raised while a declared maintenance window covered its account (and its service and region, "
        "when both the window and the ticket name them).",
    )

    # Actions
    set_severity = models.ForeignKey(Severity, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    set_queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="route to queue"
    )
    add_watchers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    notify_channels = models.ManyToManyField(
        Channel, blank=True, related_name="+", help_text="Told once per ticket when the rule matches it."
    )
    start_escalation = models.ForeignKey(
        EscalationPolicy,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="start escalation policy",
        help_text="Its steps run until someone acknowledges the ticket.",
    )
    aws_case_severity = models.CharField(
        "open an AWS Support case at",
        max_length=10,
        choices=CaseSeverity.choices,
        blank=True,
        help_text="Opened at the highest severity the account's plan allows up to this; never on Basic.",
    )
    hold_notifications = models.BooleanField(
        "hold notifications",
        default=False,
        help_text="While the maintenance window lasts, the ticket's notices are held (noted on its timeline), not "
        "sent. AWS Support cases still open; to stop them too, tick “stop here” and put this rule first.",
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.tags = sorted({t.strip().lower() for t in self.tags if t.strip()})  # tickets' tags are lower case
        kinds = {k for k, _ in Ticket.Kind.choices}
        environments = {e for e, _ in Ticket.Environment.choices}
        if not set(self.kinds) <= kinds:
            raise ValidationError({"kinds": f"Choose from: {', '.join(sorted(kinds))}."})
        if not set(self.environments) <= environments:
            raise ValidationError({"environments": f"Choose from: {', '.join(sorted(environments))}."})
        if any(not (isinstance(a, str) and len(a) == 12 and a.isdigit()) for a in self.account_ids):
            raise ValidationError({"account_ids": "AWS account ids are 12 digits."})
        if self.hold_notifications and not self.in_maintenance:
            raise ValidationError(
                {"hold_notifications": "Notices are held while a window lasts: also tick “raised during maintenance”."}
            )


class NotificationHold(models.Model):
    """A quiet rule matched a ticket raised during maintenance: its notices are held until the window ends."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="+")
    window = models.ForeignKey("integrations.MaintenanceWindow", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(Rule, null=True, on_delete=models.SET_NULL, related_name="+")
    until = models.DateTimeField()
    held_keys = models.JSONField(default=list, help_text="Notices held so far: each is noted on the timeline once.")

    def __str__(self) -> str:
        return f"Notices of ticket {self.ticket_id} held until {self.until:%Y-%m-%d %H:%M}"
