from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tickets.models import Queue, Ticket


class Mailbox(models.Model):
    """A queue's address: mail sent to it becomes the queue's tickets, and replies to their notices come back."""

    class Transport(models.TextChoices):
        SES = "ses", "Amazon SES (receipt rule → SNS topic → /aws/sns/)"
        IMAP = "imap", "IMAP mailbox (polled every minute)"
        MAILDIR = "maildir", "Maildir folder on this server (polled every minute)"

    address = models.EmailField(unique=True, help_text="Where people write; notices about the queue reply to it.")
    queue = models.OneToOneField(Queue, on_delete=models.CASCADE, related_name="mailbox")
    transport = models.CharField(max_length=10, choices=Transport.choices, default=Transport.SES)
    imap_host = models.CharField("IMAP host", max_length=200, blank=True)
    imap_port = models.PositiveIntegerField("IMAP port", default=993)
    imap_ssl = models.BooleanField("IMAP over TLS", default=True)
    imap_username = models.CharField("IMAP user name", max_length=200, blank=True)
    imap_password_env = models.CharField(
        "IMAP password variable",
        max_length=100,
        blank=True,
        help_text="The NAME of the environment variable holding the password (say IMAP_SUPPORT_PASSWORD): "
        "passwords are never stored here.",
    )
    imap_folder = models.CharField("IMAP folder", max_length=200, default="INBOX")
    maildir_path = models.CharField(
        max_length=500, blank=True, help_text="A Maildir folder (with new/, cur/, tmp/) on the worker's disk."
    )
    allowed_domains = models.TextField(
        blank=True,
        help_text="Mail from people without an account opens a ticket (and makes them a requester) only from these "
        "domains, one per line or comma (example.com). Others get a polite refusal.",
    )
    enabled = models.BooleanField(default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, help_text="What went wrong at the last poll; empty when it worked.")

    class Meta:
        verbose_name_plural = "mailboxes"
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    def save(self, *args, **kwargs) -> None:
        self.address = self.address.strip().lower()  # matched against recipients in lower case
        super().save(*args, **kwargs)

    @property
    def domains(self) -> frozenset[str]:
        return frozenset(
            d.strip().lower().lstrip("@") for d in self.allowed_domains.replace("\n", ",").split(",") if d.strip()
        )

    def clean(self) -> None:
        needs: list[str] = {
            self.Transport.IMAP.value: ["imap_host", "imap_username", "imap_password_env"],
            self.Transport.MAILDIR.value: ["maildir_path"],
        }.get(self.transport, [])
        errors = {field: "This transport needs it." for field in needs if not getattr(self, field)}
        if errors:
            raise ValidationError(errors)


class InboundEmail(models.Model):
    """One message received, once (by its delivery id), with what became of it. The raw message stays, so an admin
    can read it and receive it again."""

    class Status(models.TextChoices):
        OPENED = "opened", "Opened a ticket"
        COMMENTED = "commented", "Commented on a ticket"
        REFUSED = "refused", "Refused"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Could not be read"

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="emails")
    delivery_id = models.CharField(
        max_length=300, unique=True, help_text="The transport's id: SES message id, IMAP UID, Maildir key."
    )
    message_id = models.CharField("Message-ID", max_length=300, blank=True)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    size = models.PositiveBigIntegerField(help_text="In bytes, as delivered.")
    raw = models.BinaryField(help_text="The message as received (only its headers when it was over the size limit).")
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices)
    detail = models.CharField(max_length=500, blank=True, help_text="Why, for refused, ignored and failed mail.")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    replied_at = models.DateTimeField(null=True, blank=True, help_text="When the sender was told it was refused.")

    class Meta:
        verbose_name = "inbound email"
        indexes = [
            models.Index(fields=["sender", "received_at"], name="inbound_email_sender"),  # the per-sender limits
            models.Index(fields=["mailbox", "message_id"], condition=~Q(message_id=""), name="inbound_email_msgid"),
            models.Index(fields=["-received_at"], name="inbound_email_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.sender or 'unknown sender'}: {self.subject or '(no subject)'}"
