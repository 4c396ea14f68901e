"""Targets are set here; snapshots are history, read-only."""

from typing import cast

from django import forms
from django.contrib import admin

from .models import KpiSnapshot, KpiTarget
from .registry import KPIS


class KpiTargetForm(forms.ModelForm):
    kpi = forms.ChoiceField(label="KPI", choices=())

    class Meta:
        model = KpiTarget
        fields = [
            "kpi",
            "direction",
            "value",
            "window_days",
            "enabled",
            "severity",
            "queue",
            "environment",
            "account",
            "stakeholders",
            "channels",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kpi"]).choices = [
            (k.key, f"{k.label} ({k.unit}, {k.better} is better)") for k in KPIS.values()
        ]


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    form = KpiTargetForm
    list_display = ["__str__", "window_days", "enabled"]
    list_filter = ["enabled", "kpi"]
    filter_horizontal = ["stakeholders", "channels"]
    fieldsets = [
        (None, {"fields": ["kpi", "direction", "value", "window_days", "enabled"]}),
        ("Scope (empty: all)", {"fields": ["severity", "queue", "environment", "account"]}),
        ("Who hears of a miss", {"fields": ["stakeholders", "channels"]}),
    ]


@admin.register(KpiSnapshot)
class KpiSnapshotAdmin(admin.ModelAdmin):
    list_display = ["day", "kpi", "scope_key", "window_days", "value"]
    list_filter = ["kpi", "window_days"]
    date_hierarchy = "day"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
