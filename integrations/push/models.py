"""SNS topics allowed to push, and the messages already taken (SNS redelivers)."""

from django.core.validators import RegexValidator
from django.db import models


class SnsTopic(models.Model):
    """A topic allowed to push to Supportdesk. Anyone can point a genuine SNS topic at a public URL."""

    topic_arn = models.CharField(
        "topic ARN",
        max_length=256,
        unique=True,
        validators=[
            RegexValidator(
                r"^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:[0-9]{12}:[\w-]{1,256}(\.fifo)?$",
                "Use an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:health.",
            )
        ],
    )
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
