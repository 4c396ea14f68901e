from datetime import timedelta
from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from tickets import reference
from tickets.models import Severity
from tickets.selectors import assignable_users

from .models import Review, ReviewTemplate, Risk, Workload
from .selectors import workloads_visible_to

STATES = [
    ("", "Any state"),
    ("open", "Due or in progress"),
    ("overdue", "Overdue"),
    *Review.Status.choices,
]
DUE_ON_PAST, DUE_ON_FUTURE = timedelta(days=365), timedelta(days=3 * 365)  # a review being caught up; a plan
ORIGINS = [("", "Scheduled and post-incident"), ("scheduled", "Scheduled"), ("post_incident", "Post-incident")]


class ReviewFilterForm(forms.Form):
    """Bound to request.GET; an invalid value is reported and ignored, never a 500."""

    state = forms.ChoiceField(required=False, choices=STATES)
    origin = forms.ChoiceField(required=False, choices=ORIGINS)
    workload = forms.ModelChoiceField(required=False, queryset=Workload.objects.none(), empty_label="Any workload")
    mine = forms.BooleanField(required=False)
    q = forms.CharField(required=False, max_length=200, strip=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["workload"]).queryset = workloads_visible_to(user).only("id", "name")

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        workload = data.get("workload")
        return {
            "state": data.get("state", ""),
            "origin": data.get("origin", ""),
            "mine": data.get("mine", False),
            "workload_id": workload.pk if workload else None,
            "q": data.get("q", ""),
        }


class AnswerForm(forms.Form):
    answer = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    risk = forms.ChoiceField(required=False, choices=[("", "Not rated"), *Risk.choices])
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


def _managers():
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=["manager", "admin"]) | Q(is_superuser=True))
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


class ActionForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    severity = forms.ModelChoiceField(queryset=Severity.objects.all(), empty_label=None)
    owner = forms.ModelChoiceField(
        required=False,
        queryset=get_user_model().objects.none(),
        empty_label="Nobody yet",
        help_text="An agent of the review's queue; the action ticket is assigned to them.",
    )

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, **kwargs)
        owner = cast(forms.ModelChoiceField, self.fields["owner"])
        owner.queryset = assignable_users(queue_id=review.queue_id)
        owner.label_from_instance = lambda user: user.display_name  # type: ignore[assignment]  # Django's hook, set per form
        severities = reference.severities()
        cast(forms.ChoiceField, self.fields["severity"]).choices = [(s.pk, str(s)) for s in severities]
        self.fields["severity"].initial = next((s.pk for s in severities if s.name == "SEV3"), None)


class ReviewCreateForm(forms.Form):
    template = forms.ModelChoiceField(queryset=ReviewTemplate.objects.all(), empty_label=None)
    workload = forms.ModelChoiceField(queryset=Workload.objects.select_related("owner_queue"))
    due_on = forms.DateField(label="Due on", widget=forms.DateInput(attrs={"type": "date"}))
    owner = forms.ModelChoiceField(
        required=False,
        queryset=_managers(),
        empty_label="The workload's owner, or me",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        owner = cast(forms.ModelChoiceField, self.fields["owner"])
        owner.label_from_instance = lambda user: user.display_name  # type: ignore[assignment]  # Django's hook, set per form

    def clean_due_on(self):
        due_on, today = self.cleaned_data["due_on"], timezone.localdate()
        if not today - DUE_ON_PAST <= due_on <= today + DUE_ON_FUTURE:
            raise forms.ValidationError(
                f"Pick a date between {today - DUE_ON_PAST:%-d %b %Y} and {today + DUE_ON_FUTURE:%-d %b %Y}."
            )
        return due_on
