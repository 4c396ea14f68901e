"""Security Hub findings (GuardDuty's among them) as each account sees them."""

from django.db import models
from django.db.models import Q

from tickets.models import Ticket

from ..accounts.models import AwsAccount


class SecurityFinding(models.Model):
    """A Security Hub or GuardDuty finding of one account, polled or pushed; at most one ticket stands for it."""

    account = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="security_findings")
    finding_id = models.CharField("finding Id", max_length=512, help_text="ASFF Id (GuardDuty: the finding's ARN).")
    product_arn = models.CharField(max_length=2048)
    product = models.CharField(max_length=100)
    region = models.CharField(max_length=30, blank=True)
    title = models.CharField(max_length=256)
    severity_label = models.CharField(max_length=20)
    workflow_status = models.CharField(max_length=20)
    record_state = models.CharField(max_length=20)
    compliance_status = models.CharField(max_length=20, blank=True)
    aws_updated_at = models.DateTimeField(help_text="AWS's UpdatedAt: an older copy never overwrites a newer one.")
    ticket = models.OneToOneField(Ticket, null=True, on_delete=models.SET_NULL, related_name="security_finding")
    # Set when an agent resolved the ticket and the account writes back; cleared once Security Hub answered
    write_back_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    write_back_note = models.CharField(max_length=512, blank=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "finding_id"], name="security_finding_unique")]
        indexes = [
            models.Index(
                fields=["write_back_due_at"], condition=Q(write_back_due_at__isnull=False), name="security_write_back"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.title} ({self.account_id})"
