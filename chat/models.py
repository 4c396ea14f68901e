from django.conf import settings
from django.db import models
from django.utils import timezone


class SlackUser(models.Model):
    """A Slack user and the portal user with their confirmed email address, as Slack said at checked_at.

    Looked up once a day at most (users.info): a click is answered within Slack's three seconds."""

    slack_user_id = models.CharField(max_length=20, unique=True)
    email = models.EmailField(blank=True, help_text="Their confirmed address in Slack; empty if Slack has none.")
    name = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The active portal user with this email; empty when there is none.",
    )
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "Slack user"

    def __str__(self) -> str:
        return f"{self.name or self.slack_user_id} ({self.email or 'no email'})"


class SlackRequest(models.Model):
    """A request from Slack that acted, by the id Slack gives it (its trigger_id): a retried or replayed one finds
    its row and acts no more. Rows older than a day are pruned (Slack retries within minutes)."""

    key = models.CharField(max_length=200, unique=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.key
