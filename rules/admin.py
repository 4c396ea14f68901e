from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied

from tickets.models import Ticket

from .models import NotificationHold, Rule
from .services import rule_match_count

SETTINGS = ("name", "position", "enabled", "trigger", "stop_after")
CONDITIONS = (
    "kinds",
    "environments",
    "account_ids",
    "tags",
    "text",
    "min_severity",
    "ta_checks",
    "ta_categories",
    "health_services",
    "health_categories",
    "in_maintenance",
)
ACTIONS = (
    "set_severity",
    "set_queue",
    "add_watchers",
    "notify_channels",
    "start_escalation",
    "aws_case_severity",
    "hold_notifications",
)


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


class ListField(forms.CharField):
    """A JSON list edited as comma-separated text."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return _listed(super().to_python(value) or "")


class RuleForm(forms.ModelForm):
    kinds = forms.TypedMultipleChoiceField(
        choices=Ticket.Kind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    environments = forms.TypedMultipleChoiceField(
        choices=Ticket.Environment.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    account_ids = ListField(required=False, label="AWS accounts", help_text="Account ids, comma separated.")
    tags = ListField(required=False, help_text="Comma separated; any of them.")
    ta_checks = ListField(required=False, label="Trusted Advisor checks", help_text="Check ids, comma separated.")
    ta_categories = ListField(
        required=False, label="Trusted Advisor categories", help_text="e.g. security, cost_optimizing, fault_tolerance."
    )
    health_services = ListField(required=False, label="Health services", help_text="e.g. EC2, RDS.")
    health_categories = ListField(
        required=False, label="Health event categories", help_text="issue, scheduledChange, accountNotification."
    )

    class Meta:
        model = Rule
        fields = [*SETTINGS, *CONDITIONS, *ACTIONS]


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = ["name", "position", "enabled", "trigger", "set_severity", "set_queue", "aws_case_severity"]
    list_editable = ["position", "enabled"]
    list_select_related = ["set_severity", "set_queue"]
    filter_horizontal = ["add_watchers", "notify_channels"]
    change_form_template = "admin/rules/rule/change_form.html"
    fieldsets = [
        (None, {"fields": SETTINGS}),
        ("When the ticket matches all of these", {"fields": CONDITIONS}),
        ("Then", {"fields": ACTIONS}),
    ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_test" in request.POST:
            original = self.get_object(request, object_id) if object_id else None
            allowed = self.has_change_permission(request, original) if original else self.has_add_permission(request)
            if not allowed:
                raise PermissionDenied
            return self._test(request, object_id, extra_context)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _test(self, request, object_id, extra_context):
        """Count the tickets the conditions on the form match, and show the form again as typed: nothing saved."""
        original = self.get_object(request, object_id) if object_id else None
        form = self.get_form(request, original)(request.POST, instance=original or Rule())
        if form.is_valid():
            total, still_open = rule_match_count(form.save(commit=False))
            messages.info(request, f"Would match {total} ticket{'s' * (total != 1)} ({still_open} open). Not saved.")
        fieldsets = list(self.get_fieldsets(request, original))
        adminform = helpers.AdminForm(form, fieldsets, {}, self.get_readonly_fields(request, original), self)  # type: ignore[arg-type]  # the stubs' AdminForm wants lists
        context = {
            **self.admin_site.each_context(request),
            "title": "Change rule" if original else "Add rule",
            "adminform": adminform,
            "object_id": object_id,
            "original": original,
            "is_popup": False,
            "to_field": None,
            "media": self.media + adminform.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(
            request, context, add=original is None, change=original is not None, obj=original
        )


@admin.register(NotificationHold)
class NotificationHoldAdmin(admin.ModelAdmin):
    """Tickets whose notices a quiet rule holds; deleting one lets its next notices go out."""

    list_display = ["ticket", "window", "rule", "until"]
    list_select_related = ["ticket", "window", "rule"]
    readonly_fields = ["ticket", "window", "rule", "until", "held_keys"]

    def has_add_permission(self, request) -> bool:
        return False
