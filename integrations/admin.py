from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import (
    Alarm,
    AlarmSeverity,
    AwsAccount,
    Finding,
    HealthEvent,
    MaintenanceWindow,
    PollRun,
    SecurityFinding,
    SnsMessage,
    SnsTopic,
    TagRoute,
    TrustedAdvisorCategory,
    TrustedAdvisorCheck,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """What AWS told us: admins read it here; only polls and pushes write it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AwsAccount)
class AwsAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "account_id", "environment", "support_plan", "support_api", "owner_queue", "enabled"]
    list_filter = ["environment", "support_plan", "support_api", "enabled"]
    search_fields = ["name", "account_id"]
    readonly_fields = ["support_api", "case_severities", "capability_note", "capability_checked_at"]
    fieldsets = [
        (None, {"fields": ["name", "account_id", "environment", "owner_queue", "enabled"]}),
        (
            "Reaching the account",
            {"fields": ["role_arn", "external_id", "regions", "is_organization_manager", "member_role_name"]},
        ),
        (
            "Support plan",
            {"fields": ["support_plan", "support_api", "case_severities", "capability_note", "capability_checked_at"]},
        ),
        ("Security Hub", {"fields": ["security_hub_enabled", "security_hub_write_back"]}),
    ]


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
class SnsMessageAdmin(ReadOnlyAdmin):
    """What each pushed message did; read only: a row is what makes a redelivery change nothing."""

    list_display = ["message_id", "topic", "kind", "received_at", "ingested_at", "outcome"]
    list_filter = ["kind", "topic"]
    search_fields = ["message_id", "outcome"]
    list_select_related = ["topic"]


@admin.register(TrustedAdvisorCategory)
class TrustedAdvisorCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "ticket_per_resource"]
    list_editable = ["ticket_per_resource"]
    readonly_fields = ["code"]


@admin.register(TrustedAdvisorCheck)
class TrustedAdvisorCheckAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "ticketing", "check_id"]
    list_filter = ["category", "ticketing"]
    list_editable = ["ticketing"]
    search_fields = ["name", "check_id"]
    readonly_fields = ["check_id", "name", "category", "description", "headings"]

    def has_add_permission(self, request):
        return False  # checks are learned from AWS


@admin.register(TagRoute)
class TagRouteAdmin(admin.ModelAdmin):
    list_display = ["tag_key", "tag_value", "queue", "position"]
    list_editable = ["position"]
    list_select_related = ["queue"]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ["label", "service", "region", "account", "starts_at", "ends_at", "ticket", "created_by"]
    list_filter = ["service", "region"]
    list_select_related = ["account", "ticket", "created_by"]
    readonly_fields = ["health_event", "created_by"]
    raw_id_fields = ["ticket"]
    date_hierarchy = "starts_at"


@admin.register(PollRun)
class PollRunAdmin(ReadOnlyAdmin):
    list_display = ["account", "source", "started_at", "outcome", "opened", "updated", "resolved", "errors"]
    list_filter = ["source", "outcome"]
    list_select_related = ["account"]
    date_hierarchy = "started_at"


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["ta_check", "account", "resource_id", "region", "status", "estimated_monthly_savings", "is_open"]
    list_filter = ["is_open", "status", "ta_check__category"]
    list_select_related = ["ta_check", "account"]
    search_fields = ["resource_id", "resource_arn"]


@admin.register(HealthEvent)
class HealthEventAdmin(ReadOnlyAdmin):
    list_display = ["event_type_code", "account", "service", "region", "category", "status", "last_updated_at"]
    list_filter = ["category", "status", "service"]
    list_select_related = ["account"]
    search_fields = ["arn", "event_type_code"]


@admin.register(AlarmSeverity)
class AlarmSeverityAdmin(admin.ModelAdmin):
    """How severe an alarm's ticket is: the first row an alarm matches, else by the account's environment."""

    list_display = ["__str__", "name_prefix", "tag_key", "tag_value", "severity", "position"]
    list_editable = ["position"]
    list_select_related = ["severity"]


@admin.register(Alarm)
class AlarmAdmin(ReadOnlyAdmin):
    list_display = ["name", "account", "region", "state", "state_changed_at", "ticket"]
    list_filter = ["state", "region"]
    list_select_related = ["account", "ticket"]
    search_fields = ["name", "arn"]


@admin.register(SecurityFinding)
class SecurityFindingAdmin(ReadOnlyAdmin):
    list_display = [
        "title",
        "product",
        "account",
        "severity_label",
        "workflow_status",
        "record_state",
        "aws_updated_at",
    ]
    list_filter = ["product", "severity_label", "workflow_status", "record_state"]
    list_select_related = ["account"]
    search_fields = ["finding_id", "title"]
    raw_id_fields = ["ticket"]
