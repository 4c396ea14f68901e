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
    """A message id already taken: SNS redelivers, and a redelivered message must change nothing.

    Also the inbox: a notification is answered 200 once its row commits, and ingested later by a task; the row,
    not the task, is the promise, so a lost task (a broker outage, a killed worker) is queued again by a sweep."""

    message_id = models.CharField(max_length=100, unique=True)
    topic = models.ForeignKey(SnsTopic, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=40)
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=200, blank=True)
    payload = models.TextField(blank=True, editable=False)  # the inner Message, as SNS sent it
    ingested_at = models.DateTimeField(null=True, blank=True, editable=False)
    # when the sweep queues it again if it is still not ingested; null once ingested
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "SNS message"
        indexes = [  # the sweep's query: only the few messages still waiting
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(ingested_at__isnull=True),
                name="sns_message_pending",
            )
        ]

    def __str__(self) -> str:
        return self.message_id
