from django.contrib import admin

from .models import ContactMethod, NotificationRule, Page


@admin.register(ContactMethod)
class ContactMethodAdmin(admin.ModelAdmin):
    list_display = ["user", "medium", "phone", "slack_user_id", "verified_at"]
    list_filter = ["medium"]
    search_fields = ["user__email", "phone", "slack_user_id"]
    readonly_fields = ["code_hash", "code_sent_at", "code_expires_at", "code_attempts", "verified_at"]


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "queue", "band"]
    list_filter = ["band", "queue"]


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    """Read-only: pages are the engine's record."""

    list_display = ["ticket", "user", "band", "next_step", "started_at", "stopped_at", "stop_reason"]
    list_select_related = ["ticket", "user"]
    readonly_fields = [f.name for f in Page._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
