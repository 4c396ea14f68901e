from django.contrib import admin

from .models import AwsAccount


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
