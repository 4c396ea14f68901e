"""Who Slack says each Slack user is, and the portal user they act as: read here, forgotten to look again."""

from django.contrib import admin
from django.http import HttpRequest

from .models import SlackUser


@admin.register(SlackUser)
class SlackUserAdmin(admin.ModelAdmin):
    """Read-only: rows come from Slack (users.info). Deleting one makes the next click look the person up again."""

    list_display = ["slack_user_id", "name", "email", "user", "checked_at"]
    list_select_related = ["user"]
    search_fields = ["slack_user_id", "email", "name"]
    ordering = ["-checked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
