"""The one filter every KPI, chart, table and export reads: a date range and the ticket dimensions."""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import cast
from urllib.parse import urlencode

from django import forms
from django.utils import timezone

from tickets import reference
from tickets.filters import EARLIEST_DATE, LATEST_DATE
from tickets.models import Ticket

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
DEFAULT_PERIOD = "30d"
PERIOD_CHOICES = [
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("365d", "Last 12 months"),
    ("custom", "Custom range"),
]
LONGEST_RANGE = timedelta(days=3 * 366)


@dataclass(frozen=True)
class KpiScope:
    """Dates are inclusive, in the site's time zone; empty dimensions mean "any"."""

    start: date
    end: date
    queue_id: int | None = None
    severity_id: int | None = None
    environment: str = ""
    account: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "KpiScope":
        """The period of the same length just before this one, for "change versus the previous period"."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def query_string(self) -> str:
        """This scope as the dashboard's query string, so a link keeps the manager's filters."""
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        params |= {key: value for key, value in self._dimension_params().items() if value}
        return urlencode(params)

    def lookups(self, *, queue: str = "", severity: str = "", environment: str = "", account: str = "") -> dict:
        """The dimensions set, as ORM lookups along the paths given (a path left out: that dimension is ignored)."""
        paths = (
            (queue, self.queue_id),
            (severity, self.severity_id),
            (environment, self.environment),
            (account, self.account),
        )
        return {path: value for path, value in paths if path and value}

    def ticket_list_params(self) -> dict[str, str]:
        """The same dimensions in the ticket list's own parameter names (created range added by the caller)."""
        return {key: value for key, value in self._dimension_params().items() if value}

    def _dimension_params(self) -> dict[str, str]:
        severity = next((s.name for s in reference.severities() if s.pk == self.severity_id), "")
        queue = next((q.slug for q in reference.queues() if q.pk == self.queue_id), "")
        return {"queue": queue, "severity": severity, "environment": self.environment, "account": self.account}


class KpiFilterForm(forms.Form):
    """Bound to request.GET. An invalid form still yields the default scope, with its errors shown."""

    period = forms.ChoiceField(required=False, choices=PERIOD_CHOICES)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    queue = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(required=False)
    environment = forms.ChoiceField(required=False, choices=[("", "Any environment"), *Ticket.Environment.choices])
    account = forms.RegexField(
        required=False, regex=r"^[0-9]{12}$", error_messages={"invalid": "An AWS account id is exactly 12 digits."}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["severity"]).choices = [("", "Any severity")] + [
            (s.name, str(s)) for s in reference.severities()
        ]
        cast(forms.ChoiceField, self.fields["queue"]).choices = [("", "Any queue")] + [
            (q.slug, q.name) for q in reference.queues()
        ]

    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        start, end = data.get("start"), data.get("end")
        if start or end:
            if not (start and end):
                raise forms.ValidationError("Give both a start and an end date, or pick a period.")
            if not (EARLIEST_DATE <= start <= LATEST_DATE and EARLIEST_DATE <= end <= LATEST_DATE):
                raise forms.ValidationError(f"Pick dates between {EARLIEST_DATE.year} and {LATEST_DATE.year}.")
            if start > end:
                raise forms.ValidationError("The start date is after the end date.")
            if end - start > LONGEST_RANGE:
                raise forms.ValidationError("Pick a range of at most three years.")
        return data

    def scope(self) -> KpiScope:
        today = timezone.localdate()
        if not self.is_valid():
            return _period_scope(DEFAULT_PERIOD, today)
        data = self.cleaned_data
        if data.get("start") and data.get("end") and data.get("period") in ("", "custom"):
            scope = KpiScope(start=data["start"], end=data["end"])
        else:
            scope = _period_scope(data.get("period") or DEFAULT_PERIOD, today)
        severity = next((s.pk for s in reference.severities() if s.name == data.get("severity")), None)
        queue = next((q.pk for q in reference.queues() if q.slug == data.get("queue")), None)
        return replace(
            scope,
            queue_id=queue,
            severity_id=severity,
            environment=data.get("environment") or "",
            account=data.get("account") or "",
        )


def _period_scope(period: str, today: date) -> KpiScope:
    return KpiScope(start=today - timedelta(days=PERIODS[period] - 1), end=today)
