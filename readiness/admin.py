"""Templates, workloads and schedules are configured here; reviews are filled in and submitted in the portal."""

from django.contrib import admin

from .models import Review, ReviewSchedule, ReviewTemplate, TemplateQuestion, Workload


class TemplateQuestionInline(admin.TabularInline):
    model = TemplateQuestion
    extra = 1
    fields = ["position", "pillar", "text", "guidance"]


@admin.register(ReviewTemplate)
class ReviewTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "scope", "for_post_incident"]
    inlines = [TemplateQuestionInline]


class ReviewScheduleInline(admin.TabularInline):
    model = ReviewSchedule
    extra = 1
    fields = ["template", "every_months", "next_due_on", "active"]


@admin.register(Workload)
class WorkloadAdmin(admin.ModelAdmin):
    list_display = ["name", "owner_queue", "owner", "environment", "aws_account"]
    list_filter = ["environment", "owner_queue"]
    list_select_related = ["owner_queue", "owner", "aws_account"]
    search_fields = ["name"]
    autocomplete_fields = ["owner"]
    inlines = [ReviewScheduleInline]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Read-only: answers, action tickets and completion go through the portal's services."""

    list_display = ["title", "status", "due_on", "queue", "owner"]
    list_filter = ["status", "template"]
    list_select_related = ["queue", "owner"]
    search_fields = ["title"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
