"""Channels and which queues they hear are configured here; notifications are read here and replayed when dead or
failed."""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from tickets.filters import reference_number

from . import services
from .models import Channel, Notification, QueueChannel
from .slack import slack_configured

SECRET_SHOWN = 4  # trailing characters of a webhook secret the admin shows, to tell secrets apart


class ChannelForm(forms.ModelForm):
    # never rendered back (render_value=False); left empty, the stored secret stays
    webhook_secret = forms.CharField(
        required=False, strip=False, widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
    )

    class Meta:
        model = Channel
        fields = [
            "name",
            "kind",
            "topic_arn",
            "message_format",
            "email_addresses",
            "webhook_url",
            "webhook_secret",
            "slack_channel",
            "enabled",
        ]
        field_classes = {"webhook_url": partial(forms.URLField, assume_scheme="https")}  # webhooks go over https

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.webhook_secret
        kept = f"A secret ending in …{stored[-SECRET_SHOWN:]} is stored; leave empty to keep it. " if stored else ""
        self.fields["webhook_secret"].help_text = kept + Channel._meta.get_field("webhook_secret").help_text
        self.fields["message_format"].required = False  # only SNS topics have a choice: plain unless said
        if not slack_configured():
            self.fields[
                "kind"
            ].help_text = "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to add Slack channels."

    def clean_message_format(self) -> str:
        return self.cleaned_data["message_format"] or Channel.MessageFormat.PLAIN

    def clean_webhook_secret(self) -> str:
        return self.cleaned_data["webhook_secret"] or self.instance.webhook_secret


class QueueChannelInline(admin.TabularInline):
    model = QueueChannel
    extra = 1


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ["name", "kind", "destination", "enabled"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "topic_arn", "email_addresses", "webhook_url", "slack_channel"]
    inlines = [QueueChannelInline]

    @admin.display(description="goes to")
    def destination(self, channel: Channel) -> str:
        return channel.topic_arn or channel.email_addresses or channel.webhook_url or channel.slack_channel


@admin.register(QueueChannel)
class QueueChannelAdmin(admin.ModelAdmin):
    list_display = ["queue", "channel", "min_severity"]
    list_filter = ["queue", "channel"]
    list_select_related = ["queue", "channel", "min_severity"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox, read-only: each attempt is also on the ticket's timeline."""

    # what an admin looks for first (is it dead, why, when next) ahead of the long subject, which is cut short
    list_display = [
        "id",
        "ticket_reference",
        "status",
        "attempts",
        "next_attempt_at",
        "error",
        "target",
        "short_subject",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "channel"]  # not event: its filter would read every row for the distinct values
    list_select_related = ["channel"]
    search_fields = ["key", "subject"]
    search_help_text = "A ticket reference (SD-42), or words from the subject or key."
    actions = ["retry"]
    show_full_result_count = False
    ordering = ["-id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="ticket", ordering="ticket_id")
    def ticket_reference(self, row: Notification) -> str:
        return row.attributes.get("reference", "—")  # as it was sent, without reading the ticket

    @admin.display(description="last error")
    def error(self, row: Notification) -> str:
        return Truncator(row.last_error).chars(120)

    @admin.display(description="subject", ordering="subject")
    def short_subject(self, row: Notification) -> str:
        return Truncator(row.subject).chars(60)

    @admin.display(description="to")
    def target(self, row: Notification) -> str:
        return row.target_label

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        number = reference_number(search_term.strip())
        if number is not None:  # the ticket's index, not a scan of every subject
            return queryset.filter(ticket_id=number), False
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description="Replay the selected dead or failed notifications", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        retried = services.notifications_retry(ids=queryset.values_list("pk", flat=True))
        skipped = queryset.count() - retried
        note = f"; {skipped} selected were neither dead nor failed and were left alone" if skipped else ""
        self.message_user(
            request, f"{retried} notification(s) queued for another day of tries{note}.", messages.SUCCESS
        )

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.change_notification")
