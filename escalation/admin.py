"""Configuration in the Django admin: calendars, SLA policies, escalation policies (on-call schedules: oncall)."""

from datetime import time
from itertools import pairwise

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from .calendars import MIDNIGHT
from .models import (
    BusinessCalendar,
    EscalationPolicy,
    EscalationStep,
    Holiday,
    SlaPolicy,
    TicketEscalation,
    Weekday,
    WorkingHours,
)


class WorkingHoursFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        spans = sorted(
            (d["weekday"], d["opens"], time.max if d["closes"] == MIDNIGHT else d["closes"])
            for d in (form.cleaned_data for form in self.forms)
            if d and not d.get("DELETE") and {"weekday", "opens", "closes"} <= d.keys()
        )
        for (day, _, closes), (next_day, opens, _) in pairwise(spans):
            if day == next_day and opens < closes:
                raise ValidationError(f"{Weekday(day).label}: working hours overlap; make them one span or two apart.")


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 0
    min_num = 1  # a calendar with no hours would never reach a due time
    validate_min = True


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    search_fields = ["name"]
    inlines = [WorkingHoursInline, HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "calendar",
        "acknowledge_within",
        "resolve_within",
        "warn_at",
        "escalation_policy",
        "pause_on_requester",
        "pause_on_aws",
        "update_every",
    ]
    list_filter = ["severity", "queue", "pause_on_requester", "pause_on_aws"]
    list_select_related = ["severity", "queue", "calendar", "escalation_policy"]
    autocomplete_fields = ["calendar", "escalation_policy"]
    fieldsets = [
        (None, {"fields": ["severity", "queue", "calendar"]}),
        ("Targets", {"fields": ["acknowledge_within", "resolve_within", "warn_at", "escalation_policy"]}),
        ("While the ticket waits", {"fields": ["pause_on_requester", "pause_on_aws"]}),
        ("Updates", {"fields": ["update_every"]}),
    ]


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0
    min_num = 1
    ordering = ["position"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "repeat"]
    search_fields = ["name"]
    inlines = [EscalationStepInline]


@admin.register(TicketEscalation)
class TicketEscalationAdmin(admin.ModelAdmin):
    """Read-only: escalations start and stop through the services (a breach, a rule, an acknowledgement)."""

    list_display = ["ticket", "policy", "next_step", "next_at", "started_at", "stopped_at", "stop_reason"]
    list_select_related = ["ticket", "policy"]
    list_filter = ["policy"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
