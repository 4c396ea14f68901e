from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, validate_email
from django.db import models
from django.db.models import Q
from django.utils import timezone

from awsgateway.sns import TOPIC_ARN, topic_is_fifo
from tickets.models import Queue, Severity, Ticket

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})  # plain http only here: local receivers and tests
SECRET_MIN_LENGTH = 16
SLACK_CHANNEL_ID = r"^[CGDUW][A-Z0-9]{6,}$"  # a channel (C…, G… private, D… direct) or a person (U…, W…)


class Channel(models.Model):
    """Somewhere notifications go: an SNS topic, a list of email addresses, a signed webhook or a Slack channel."""

    class Kind(models.TextChoices):
        SNS = "sns", "Amazon SNS topic"
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"
        SLACK = "slack", "Slack channel"

    class MessageFormat(models.TextChoices):
        PLAIN = "plain", "Plain text (email and SMS subscribers, queues, Lambda)"
        AMAZON_Q = "amazon_q", "Amazon Q Developer in chat applications (a card in Slack or Microsoft Teams)"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    topic_arn = models.CharField(
        "SNS topic ARN",
        max_length=300,
        blank=True,
        validators=[RegexValidator(TOPIC_ARN, "Use an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:ops.")],
        help_text="A FIFO topic (its name ends in .fifo) keeps each ticket's messages in order and drops repeats.",
    )
    message_format = models.CharField(
        max_length=10,
        choices=MessageFormat.choices,
        default=MessageFormat.PLAIN,
        help_text="For SNS topics: Amazon Q Developer in chat applications shows only its custom-notification "
        "format, as a card; other subscribers want plain text.",
    )
    email_addresses = models.TextField(blank=True, help_text="One or more addresses, separated by commas or lines.")
    webhook_url = models.URLField("webhook URL", max_length=500, blank=True, help_text="https:// only.")
    webhook_secret = models.CharField(
        max_length=200, blank=True, help_text="Signs each delivery (HMAC-SHA256); the receiver checks it."
    )
    slack_channel = models.CharField(
        "Slack channel ID",
        max_length=20,
        blank=True,
        validators=[RegexValidator(SLACK_CHANNEL_ID, "Use a Slack channel ID such as C024BE91L (not its #name).")],
        help_text="In Slack: the channel's details, at the bottom. Invite the Supportdesk app to it. The bot token "
        "comes from the environment (SLACK_BOT_TOKEN), never from here.",
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_fifo(self) -> bool:
        return self.kind == self.Kind.SNS and topic_is_fifo(self.topic_arn)

    @property
    def addresses(self) -> list[str]:
        return [a.strip() for a in self.email_addresses.replace("\n", ",").split(",") if a.strip()]

    @property
    def label(self) -> str:
        """Where it goes, in words, for the ticket timeline."""
        return f"{self.get_kind_display()} “{self.name}”"

    def clean(self) -> None:
        by_kind: dict[str, list[str]] = {
            self.Kind.SNS: ["topic_arn"],
            self.Kind.EMAIL: ["email_addresses"],
            self.Kind.WEBHOOK: ["webhook_url", "webhook_secret"],
            self.Kind.SLACK: ["slack_channel"],
        }
        required = by_kind.get(self.kind, [])
        errors = {
            field: f"A {self.get_kind_display().lower().removesuffix(' channel')} channel needs this."
            for field in required
            if not getattr(self, field)
        }
        if self.kind == self.Kind.EMAIL:
            for address in self.addresses:
                try:
                    validate_email(address)
                except ValidationError:
                    errors.setdefault("email_addresses", f"{address} is not an email address.")
        if self.kind == self.Kind.WEBHOOK and self.webhook_url:
            url = urlsplit(self.webhook_url)
            if url.scheme != "https" and not (url.scheme == "http" and url.hostname in LOOPBACK_HOSTS):
                errors.setdefault("webhook_url", "Webhooks go over https:// (plain http only to this machine).")
        if self.kind == self.Kind.WEBHOOK and self.webhook_secret and len(self.webhook_secret) < SECRET_MIN_LENGTH:
            errors.setdefault("webhook_secret", f"Use at least {SECRET_MIN_LENGTH} characters.")
        if self.kind == self.Kind.SLACK and not settings.SLACK_BOT_TOKEN:
            errors.setdefault("kind", "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET first.")
        if self.kind != self.Kind.SNS and self.message_format != self.MessageFormat.PLAIN:
            errors.setdefault("message_format", "The Amazon Q format is for SNS topics only.")
        if errors:
            raise ValidationError(errors)


class QueueChannel(models.Model):
    """A channel hears about a queue's tickets: their creation, escalations, SLA breaches and AWS cases."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="queue_links")
    min_severity = models.ForeignKey(
        Severity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="from severity",
        help_text="Only tickets of this severity or more severe; empty for all.",
    )

    class Meta:
        verbose_name = "queue channel"
        constraints = [models.UniqueConstraint(fields=["queue", "channel"], name="queue_channel_once")]

    def __str__(self) -> str:
        return f"{self.channel} hears {self.queue}"


class Notification(models.Model):
    """The outbox: written in the transaction of the change it tells about, delivered after, retried until sent."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"  # refused: sending it again would be refused again
        DEAD = "dead", "Dead"  # the far end stayed unreachable for a day: replay it once it is back

    key = models.CharField(max_length=300, unique=True, help_text="The cause and target: one notification each.")
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(blank=True, help_text="A person's address, for mail to them rather than to a channel.")
    sms_to = models.CharField("SMS to", max_length=16, blank=True, help_text="A verified number (E.164): a page.")
    call_to = models.CharField("call to", max_length=16, blank=True, help_text="A verified number (E.164): a page.")
    slack_to = models.CharField(
        "Slack DM to", max_length=20, blank=True, help_text="A person's verified Slack member ID: a page as a DM."
    )
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=30, help_text="What happened: a timeline event kind, or “notice”.")
    reason = models.CharField(max_length=300)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    link = models.CharField(max_length=500, blank=True)
    attributes = models.JSONField(default=dict, blank=True, help_text="The ticket as it was; SNS attributes.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="When the sweep re-sends it if pending.")
    retry_until = models.DateTimeField(null=True, blank=True, help_text="A failing one is tried until then, then dead.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # exactly one target: a channel, an address, a number to text or to call, a Slack member to DM
            models.CheckConstraint(
                condition=Q(channel__isnull=False, email="", sms_to="", call_to="", slack_to="")
                | Q(channel__isnull=True, sms_to="", call_to="", slack_to="") & ~Q(email="")
                | Q(channel__isnull=True, email="", call_to="", slack_to="") & ~Q(sms_to="")
                | Q(channel__isnull=True, email="", sms_to="", slack_to="") & ~Q(call_to="")
                | Q(channel__isnull=True, email="", sms_to="", call_to="") & ~Q(slack_to=""),
                name="notification_one_target",
            )
        ]
        indexes = [
            # the sweep's query, over pending rows only: sent ones pile up, pending ones stay few
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="notification_due"),
            models.Index(fields=["status", "-id"], name="notification_status_id"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.target_label}"

    @property
    def target_label(self) -> str:
        if self.channel is not None:
            return self.channel.label
        if self.sms_to:
            return f"SMS to {self.sms_to}"
        if self.call_to:
            return f"Call to {self.call_to}"
        if self.slack_to:
            return f"Slack DM to {self.slack_to}"
        return f"Email to {self.email}"


class SlackCard(models.Model):
    """A ticket's card in one Slack conversation (a channel, or a person's DM): the one message kept current there.
    A later notice about the ticket updates it and replies in its thread; a change of the ticket redraws it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="slack_cards")
    channel = models.CharField(max_length=40)  # the channel ID, or the member ID a DM went to
    ts = models.CharField(max_length=40)  # the message's timestamp: Slack's id for it in that conversation
    headline = models.CharField(max_length=300)  # the latest notice's line, shown on the card when redrawn
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "channel"], name="slack_card_one_per_conversation")]

    def __str__(self) -> str:
        return f"{self.ticket_id} in {self.channel} at {self.ts}"
