from datetime import date

from django import forms

from tickets.models import Ticket

from ..accounts.models import AwsAccount
from .models import MaintenanceWindow

_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the calendar's months; a window outside them could never be shown


def _calendar_year(value):
    if value and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise forms.ValidationError(f"Pick a time between {FIRST_YEAR} and {LAST_YEAR}.")
    return value


class ResourcesField(forms.CharField):
    """A JSON list of resource ids or ARNs, edited one a line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (super().to_python(value) or "").splitlines() if line.strip()]


class WindowForm(forms.ModelForm):
    """A window entered by hand; the model's clean() checks the times, length and region."""

    account = forms.ModelChoiceField(
        queryset=AwsAccount.objects.order_by("name"),
        required=False,
        empty_label="All accounts",
        error_messages={"invalid_choice": "Choose one of the AWS accounts Supportdesk knows."},
    )
    starts_at = forms.DateTimeField(label="Starts", widget=_LOCAL)
    ends_at = forms.DateTimeField(label="Ends", widget=_LOCAL)
    service = forms.RegexField(
        required=False,
        max_length=60,
        regex=r"^[A-Za-z0-9 _.-]*$",
        help_text="As AWS Health names it: EC2, RDS…",
        error_messages={"invalid": "Letters, digits, spaces and _.- only."},
    )
    resources = ResourcesField(
        required=False,
        help_text="Resource ids or ARNs, one a line: the window then covers only tickets about them.",
    )

    def clean_starts_at(self):
        return _calendar_year(self.cleaned_data.get("starts_at"))

    def clean_ends_at(self):
        return _calendar_year(self.cleaned_data.get("ends_at"))

    class Meta:
        model = MaintenanceWindow
        fields = ["title", "account", "service", "region", "starts_at", "ends_at", "resources", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"region": "e.g. eu-west-1; empty for every region.", "title": "What is being done."}


class WindowFilterForm(forms.Form):
    """The list's filters, bound to request.GET; an invalid one shows its errors and filters nothing."""

    account = forms.RegexField(
        required=False, regex=r"^[0-9]{12}$", error_messages={"invalid": "An AWS account id is exactly 12 digits."}
    )
    environment = forms.ChoiceField(required=False, choices=[("", "Any environment"), *Ticket.Environment.choices])
    service = forms.RegexField(
        required=False,
        max_length=60,
        regex=r"^[A-Za-z0-9 _.-]*$",
        error_messages={"invalid": "A service name: letters, digits, spaces and _.- only."},
    )
    month = forms.DateField(required=False, input_formats=["%Y-%m"], widget=forms.DateInput(attrs={"type": "month"}))

    def clean_month(self) -> date | None:
        month = self.cleaned_data.get("month")
        if month and not FIRST_YEAR <= month.year <= LAST_YEAR:
            raise forms.ValidationError(f"Pick a month between {FIRST_YEAR} and {LAST_YEAR}.")
        return month

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {name: self.cleaned_data[name] for name in ("account", "environment", "service")}


class UpcomingScopeForm(forms.Form):
    """The dashboard's account and environment filters, as the upcoming-windows fragment reads them from the
    dashboard's query string (its dates, queue and severity do not narrow windows); an invalid one narrows nothing."""

    account = forms.RegexField(required=False, regex=r"^[0-9]{12}$")
    environment = forms.ChoiceField(required=False, choices=[("", "Any environment"), *Ticket.Environment.choices])

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {"account": "", "environment": ""}
        return {name: self.cleaned_data[name] or "" for name in ("account", "environment")}
