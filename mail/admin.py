"""Mailboxes are set up here; every message received is listed with what became of it, and can be received again."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from supportdesk.errors import DomainError

from . import services
from .models import InboundEmail, Mailbox
from .transports import outcome_of


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["address", "queue", "transport", "enabled", "last_polled_at", "last_error"]
    list_filter = ["transport", "enabled"]
    list_select_related = ["queue"]
    search_fields = ["address"]
    readonly_fields = ["last_polled_at", "last_error"]
    fieldsets = [
        (None, {"fields": ["address", "queue", "transport", "enabled", "allowed_domains"]}),
        (
            "IMAP",
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_ssl",
                    "imap_username",
                    "imap_password_env",
                    "imap_folder",
                ]
            },
        ),
        ("Maildir", {"fields": ["maildir_path"]}),
        ("Last poll", {"fields": ["last_polled_at", "last_error"]}),
    ]


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    """Read-only: rows are what arrived. Refused and unreadable mail can be received again."""

    list_display = ["received_at", "mailbox", "sender", "short_subject", "status", "outcome", "size"]
    list_filter = ["status", "mailbox"]
    list_select_related = ["mailbox", "ticket"]
    search_fields = ["sender", "subject", "message_id", "delivery_id"]
    readonly_fields = ["message"]
    exclude = ["raw"]
    actions = ["retry"]
    show_full_result_count = False
    ordering = ["-received_at", "-pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundEmail]:
        return super().get_queryset(request).defer("raw")  # up to 40 MB a row: read only on its own page

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="subject", ordering="subject")
    def short_subject(self, row: InboundEmail) -> str:
        return Truncator(row.subject).chars(60)

    @admin.display(description="outcome")
    def outcome(self, row: InboundEmail) -> str:
        return Truncator(outcome_of(row)).chars(120)

    @admin.display(description="message as received (the first 20,000 characters)")
    def message(self, row: InboundEmail) -> str:
        return bytes(row.raw[:20_000]).decode("utf-8", errors="replace")

    @admin.action(description="Receive the selected refused or unreadable messages again", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = []
        for row in queryset.filter(status__in=[InboundEmail.Status.REFUSED, InboundEmail.Status.FAILED]):
            try:
                done.append(outcome_of(services.inbound_email_retry(email=row)))
            except DomainError as exc:
                done.append(str(exc))
        self.message_user(request, f"{len(done)} received again: " + "; ".join(done) if done else "Nothing to do.")

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("mail.change_inboundemail")
