"""The ticket list's filters and sort orders, shared by the HTML list, the API and CSV export."""

import re
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from . import reference
from .exceptions import InvalidChoice
from .models import Ticket

REFERENCE_RE = re.compile(r"^\s*(?:(?P<prefix>[A-Za-z]+)-)?(?P<number>\d{1,12})\s*$")

SORTS = {
    "newest": ("Newest first", ["-id"]),
    "oldest": ("Oldest first", ["id"]),
    "updated": ("Recently updated", ["-updated_at", "-id"]),
    "severity": ("Most severe first", ["severity__rank", "-id"]),
    "due": ("Due soonest", ["resolution_due_at", "id"]),
}

# "newest" and "oldest" in a created range: the same order (ids are taken as tickets are created), another index
CREATED_SORTS = {"newest": ["-created_at", "-id"], "oldest": ["created_at", "id"]}


class QuickSelect(forms.Select):
    """A select rendered in Python: the list page draws eight of them on every request, and the
    template-based widget renderer costs more than the whole ticket table."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        attrs.pop("id", None)
        selected = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, " selected" if str(key) == selected else "", label) for key, label in self.choices),
        )
        label = name.capitalize()
        return format_html('<select name="{}" aria-label="{}"{}>{}</select>', name, label, flatatt(attrs), options)


# (field, label) pairs whose dates bound a range, inclusive, in the site's time zone
DATE_RANGES = (("created_at", "created"), ("resolved_at", "resolved"))
# Far-off dates mean a typo, and year 9999 would overflow "the next day"
EARLIEST_DATE, LATEST_DATE = date(1970, 1, 1), date(2999, 12, 31)

STATUS_CHOICES = [("open", "Open (any)"), ("all", "All statuses"), *Ticket.Status.choices]


class TicketFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES, widget=QuickSelect)
    severity = forms.ChoiceField(required=False, widget=QuickSelect)
    queue = forms.ChoiceField(required=False, widget=QuickSelect)
    assignee = forms.CharField(required=False, max_length=20)
    requester = forms.ChoiceField(required=False, choices=[("", "Anyone"), ("me", "Me")], widget=QuickSelect)
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *Ticket.Kind.choices], widget=QuickSelect)
    environment = forms.ChoiceField(
        required=False, choices=[("", "Any environment"), *Ticket.Environment.choices], widget=QuickSelect
    )
    account = forms.RegexField(
        required=False, regex=r"^[0-9]{12}$", error_messages={"invalid": "An AWS account id is exactly 12 digits."}
    )
    breaching = forms.BooleanField(required=False, label="Breaching SLA")
    created_from = forms.DateField(required=False, label="Created from")
    created_to = forms.DateField(required=False, label="Created to")
    resolved_from = forms.DateField(required=False, label="Resolved from")
    resolved_to = forms.DateField(required=False, label="Resolved to")
    sort = forms.ChoiceField(
        required=False, choices=[(k, label) for k, (label, _) in SORTS.items()], widget=QuickSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["severity"]).choices = [("", "Any severity")] + [
            (s.name, str(s)) for s in reference.severities()
        ]
        cast(forms.ChoiceField, self.fields["queue"]).choices = [("", "Any queue")] + [
            (q.slug, q.name) for q in reference.queues()
        ]

    def clean_assignee(self) -> str:
        value = self.cleaned_data["assignee"]
        if value not in ("", "me", "none") and not re.fullmatch(r"[0-9]{1,18}", value):
            raise forms.ValidationError("Use “me”, “none” or a person's id.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        for _, name in DATE_RANGES:
            for field in (f"{name}_from", f"{name}_to"):
                if data.get(field) and not EARLIEST_DATE <= data[field] <= LATEST_DATE:
                    self.add_error(field, f"Pick a date between {EARLIEST_DATE.year} and {LATEST_DATE.year}.")
            start, end = data.get(f"{name}_from"), data.get(f"{name}_to")
            if start and end and start > end:
                self.add_error(f"{name}_to", f"The {name} range ends before it starts.")
        return data

    def date_filters(self) -> list[tuple[str, date | None, date | None]]:
        """The active date ranges as (label, from, to), for the list to show what it is narrowed to."""
        if not self.is_valid():
            return []
        ranges = [
            (name, self.cleaned_data.get(f"{name}_from"), self.cleaned_data.get(f"{name}_to"))
            for _, name in DATE_RANGES
        ]
        return [(name.capitalize(), start, end) for name, start, end in ranges if start or end]

    @property
    def ordering(self) -> list[str]:
        key = (self.cleaned_data.get("sort") if self.is_valid() else "") or "newest"
        if key in CREATED_SORTS and (self.cleaned_data.get("created_from") or self.cleaned_data.get("created_to")):
            # Within a created range, walk the created index: ordered by id, PostgreSQL scans the primary key
            # backwards and filters, which for a month a year ago reads 800,000 rows to show 25.
            return CREATED_SORTS[key]
        return SORTS[key][1]

    def apply(self, queryset: QuerySet[Ticket], *, user) -> QuerySet[Ticket]:
        """Narrow a queryset that is already limited to what the user may see."""
        data = self.cleaned_data
        status = data.get("status") or "open"
        if status == "open":
            queryset = queryset.filter(status__in=Ticket.OPEN_STATUSES)
        elif status != "all":
            queryset = queryset.filter(status=status)
        if data.get("severity"):
            queryset = queryset.filter(severity_id=_id_by(reference.severities(), "name", data["severity"]))  # type: ignore[misc]  # None (no such name) matches no ticket
        if data.get("queue"):
            queryset = queryset.filter(queue_id=_id_by(reference.queues(), "slug", data["queue"]))  # type: ignore[misc]  # as above
        assignee = data.get("assignee")
        if assignee == "me":
            queryset = queryset.filter(assignee=user)
        elif assignee == "none":
            queryset = queryset.filter(assignee__isnull=True)
        elif assignee:
            queryset = queryset.filter(assignee_id=int(assignee))
        if data.get("requester") == "me":
            queryset = queryset.filter(requester=user)
        for field in ("kind", "environment"):
            if data.get(field):
                queryset = queryset.filter(**{field: data[field]})
        if data.get("account"):
            queryset = queryset.filter(aws_account_id=data["account"])
        if data.get("breaching"):
            queryset = queryset.filter(breaching_q())
        for column, name in DATE_RANGES:
            if data.get(f"{name}_from"):
                queryset = queryset.filter(**{f"{column}__gte": day_start(data[f"{name}_from"])})
            if data.get(f"{name}_to"):  # inclusive: before the next day begins
                queryset = queryset.filter(**{f"{column}__lt": day_start(data[f"{name}_to"] + timedelta(days=1))})
        if data.get("q"):
            queryset = queryset.filter(search_q(data["q"]))
        return queryset


def day_start(day: date) -> datetime:
    """Midnight of a day in the site's time zone: a "day" is the site's day, not UTC's."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _id_by(rows: list, attribute: str, value: str) -> int | None:
    return next((row.pk for row in rows if getattr(row, attribute) == value), None)


def breaching_q(now=None) -> Q:
    """Ticket.is_breaching in SQL: a paused clock is read at the moment it paused."""
    now = now or timezone.now()

    def past_due(moment) -> Q:
        return Q(resolution_due_at__lt=moment) | Q(acknowledged_at__isnull=True, response_due_at__lt=moment)

    running = Q(sla_paused_since__isnull=True) & past_due(now)
    paused = Q(sla_paused_since__isnull=False) & past_due(F("sla_paused_since"))
    return Q(status__in=Ticket.OPEN_STATUSES) & (running | paused)


def reference_number(text: str) -> int | None:
    """12 or SD-12 is ticket 12; CVE-2024 is not a reference, just text."""
    match = REFERENCE_RE.match(text)
    if match is None:
        return None
    prefix = match.group("prefix")
    if prefix is not None and prefix.upper() != settings.TICKET_REFERENCE_PREFIX.upper():
        return None
    return int(match.group("number"))


def search_q(text: str) -> Q:
    number = reference_number(text)
    if number is not None:
        return Q(pk=number)
    return Q(title__icontains=text) | Q(description__icontains=text)


def saved_query(query: str) -> str:
    """A list query string as a saved view keeps it: checked by the filter form, only the filters that are set, in
    the form's order, without the page cursor. Raises InvalidChoice saying what is wrong."""
    given = QueryDict(query.lstrip("?"))
    form = TicketFilterForm(given)
    if not form.is_valid():
        problems = "; ".join(f"{field}: {error}" for field, errors in form.errors.items() for error in errors)
        raise InvalidChoice(f"Those filters don't work ({problems}).")
    kept = QueryDict(mutable=True)
    for name in form.fields:
        values = [value for value in given.getlist(name) if value]
        if values:
            kept.setlist(name, values[-1:])  # the form reads the last value of each
    return kept.urlencode()
