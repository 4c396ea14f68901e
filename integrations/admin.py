from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import AwsAccount, SnsMessage, SnsTopic


@admin.register(AwsAccount)
class AwsAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "account_id", "environment", "support_plan", "support_api", "owner_queue", "enabled"]
    list_filter = ["environment", "support_plan", "support_api", "enabled"]
    search_fields = ["name", "account_id"]
    readonly_fields = ["support_api", "case_severities", "capability_note", "capability_checked_at"]
    fieldsets = [
        (None, {"fields": ["name", "account_id", "environment", "owner_queue", "enabled"]}),
        ("Reaching the account", {"fields": ["role_arn", "external_id", "regions", "is_organization_manager"]}),
        ("Support plan", {"fields": ["support_plan", "support_api", "case_severities", "capability_note",
                                     "capability_checked_at"]}),
    ]  # fmt: skip


@admin.register(SnsTopic)
class SnsTopicAdmin(admin.ModelAdmin):
    list_display = ["topic_arn", "description", "enabled", "confirmed_at", "last_message_at"]
    list_filter = ["enabled"]
    search_fields = ["topic_arn", "description"]
    readonly_fields = ["confirmed_at", "last_message_at"]

    def get_fieldsets(self, request, obj=None):
        endpoint = f"https://{request.get_host()}{reverse('aws-sns-push')}"
        how = format_html(
            "Register the topic here first, then subscribe <code>{}</code> to it over HTTPS with raw message "
            "delivery off; Supportdesk confirms the subscription itself. Pushes from topics not listed and "
            "enabled here are refused.",
            endpoint,
        )
        return [(None, {"fields": [*self.get_fields(request, obj)], "description": how})]


@admin.register(SnsMessage)
class SnsMessageAdmin(admin.ModelAdmin):
    """What each pushed message did; read only: a row is what makes a redelivery change nothing."""

    list_display = ["message_id", "topic", "kind", "received_at", "outcome"]
    list_filter = ["kind", "topic"]
    search_fields = ["message_id", "outcome"]
    list_select_related = ["topic"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
