"""Schedules in the Django admin too (the portal's pages are where managers edit them: /oncall/)."""

from django.contrib import admin

from .models import Layer, LayerMember, Override, Restriction, Schedule, Swap


class LayerMemberInline(admin.TabularInline):
    model = LayerMember
    extra = 0
    ordering = ["position"]
    autocomplete_fields = ["user"]


class RestrictionInline(admin.TabularInline):
    model = Restriction
    extra = 0


class OverrideInline(admin.TabularInline):
    model = Override
    extra = 0
    autocomplete_fields = ["user"]
    exclude = ["created_by"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["queue"]
    list_select_related = ["queue"]
    exclude = ["feed_token"]


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "position", "shift", "time_zone", "handoff_time", "start_date"]
    list_select_related = ["schedule__queue"]
    inlines = [LayerMemberInline, RestrictionInline, OverrideInline]


@admin.register(Swap)
class SwapAdmin(admin.ModelAdmin):
    list_display = ["__str__", "layer", "status", "decided_at"]
    list_select_related = ["layer__schedule__queue", "proposer", "recipient"]
    list_filter = ["status"]
