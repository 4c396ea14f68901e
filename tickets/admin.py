"""Configuration in the Django admin. Tickets themselves are changed through services, never here."""

from django.contrib import admin

from .models import CannedReply, Queue, QueueMember, SavedView, Severity, Tag, Ticket


@admin.register(Severity)
class SeverityAdmin(admin.ModelAdmin):
    list_display = ["name", "label", "rank", "colour", "response_target", "resolution_target"]
    ordering = ["rank"]


class QueueMemberInline(admin.TabularInline):
    model = QueueMember
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "default_assignee", "oncall_contact", "is_default"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [QueueMemberInline]
    autocomplete_fields = ["default_assignee"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: every change must leave a timeline event, so it goes through the portal or the API."""

    list_display = ["id", "title", "severity", "status", "queue", "assignee", "created_at"]
    list_filter = ["status", "severity", "queue", "kind", "environment"]
    list_select_related = ["severity", "queue", "assignee"]
    search_fields = ["title"]
    show_full_result_count = False  # no COUNT(*) over a million rows

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """The team's replies (no owner) and each person's own; people keep theirs in the portal (/tickets/replies/)."""

    list_display = ["title", "queue", "owner", "created_at"]
    list_filter = ["queue"]
    list_select_related = ["queue", "owner"]
    search_fields = ["title", "body"]
    autocomplete_fields = ["owner"]


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "shared_with", "query"]
    list_select_related = ["owner", "shared_with"]
    search_fields = ["name", "owner__email"]
    autocomplete_fields = ["owner"]
