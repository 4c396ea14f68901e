"""Forms: an override, a swap, a layer. Times are read in the viewer's active zone."""

import re
from datetime import time
from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth import get_user_model

from . import shifts
from .models import Layer, Schedule, Weekday

if TYPE_CHECKING:
    from accounts.models import User

_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DAYS = {label[:3].lower(): value for value, label in Weekday.choices}
_WINDOW = re.compile(r"^(?P<days>[a-z]{3}(?:-[a-z]{3})?)\s+(?P<starts>\d{1,2}:\d{2})\s*-\s*(?P<ends>\d{1,2}:\d{2})$")


def _people(schedule: Schedule):
    """The people who work the schedule's queue: whom an override or a swap may name."""
    return get_user_model().objects.filter(support_queues=schedule.queue_id, is_active=True).order_by("first_name")


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class _OnLayer(forms.Form):
    layer = forms.ModelChoiceField(queryset=Layer.objects.none(), empty_label=None)

    def __init__(self, *args, schedule: Schedule, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["layer"].queryset = schedule.layers.all()  # type: ignore[attr-defined]


class OverrideForm(_OnLayer):
    """“Cover me Tuesday 18:00 to 23:00”: who covers, on which layer, from when to when."""

    user = _PersonChoice(queryset=get_user_model().objects.none(), label="Who covers")
    starts_at = forms.DateTimeField(label="From", widget=_LOCAL)
    ends_at = forms.DateTimeField(label="Until", widget=_LOCAL)
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, schedule: Schedule, **kwargs) -> None:
        super().__init__(*args, schedule=schedule, **kwargs)
        self.fields["user"].queryset = _people(schedule)  # type: ignore[attr-defined]


class SwapForm(_OnLayer):
    """Ask a colleague to take a stretch of your shifts, and optionally take one of theirs."""

    recipient = _PersonChoice(queryset=get_user_model().objects.none(), label="Swap with")
    starts_at = forms.DateTimeField(label="They take from", widget=_LOCAL)
    ends_at = forms.DateTimeField(label="Until", widget=_LOCAL)
    return_starts_at = forms.DateTimeField(label="You take from", widget=_LOCAL, required=False)
    return_ends_at = forms.DateTimeField(label="Until", widget=_LOCAL, required=False)
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, schedule: Schedule, user: "User", **kwargs) -> None:
        # Beside the override form, whose fields share its names: ids of its own, so labels find their fields
        super().__init__(*args, schedule=schedule, auto_id="id_swap_%s", **kwargs)
        self.fields["recipient"].queryset = _people(schedule).exclude(pk=user.pk)  # type: ignore[attr-defined]


class PeopleField(forms.CharField):
    """Members in order, one email a line."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(u.email for u in value) if isinstance(value, list) else value

    def to_python(self, value):  # a list of people, not a str
        emails = [line.strip().lower() for line in (super().to_python(value) or "").splitlines() if line.strip()]
        found = {u.email.lower(): u for u in get_user_model().objects.filter(email__in=emails, is_active=True)}
        unknown = [e for e in emails if e not in found]
        if unknown:
            raise forms.ValidationError(f"Nobody active has the email {', '.join(unknown)}.")
        return [found[e] for e in emails]


class WindowsField(forms.CharField):
    """Restrictions, one a line: “Mon-Fri 09:00-17:00”, “Sat 10:00-14:00”, “Mon-Fri 18:00-09:00” (overnight)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if not isinstance(value, list):
            return value
        return "\n".join(f"{Weekday(w.weekday).label[:3]} {w.starts:%H:%M}-{w.ends:%H:%M}" for w in value)

    def to_python(self, value):  # a list of windows, not a str
        windows = []
        for line in (super().to_python(value) or "").splitlines():
            if not line.strip():
                continue
            match = _WINDOW.match(line.strip().lower())
            if not match:
                raise forms.ValidationError(f"“{line.strip()}”: write a day or days and times, as Mon-Fri 09:00-17:00.")
            first, _, last = match["days"].partition("-")
            if first not in _DAYS or (last and last not in _DAYS):
                raise forms.ValidationError(f"“{line.strip()}”: days are Mon, Tue, Wed, Thu, Fri, Sat, Sun.")
            try:
                starts, ends = (time.fromisoformat(match[k].zfill(5)) for k in ("starts", "ends"))
            except ValueError as exc:
                raise forms.ValidationError(f"“{line.strip()}”: times run from 00:00 to 23:59.") from exc
            if starts == ends:
                raise forms.ValidationError(f"“{line.strip()}”: a window must end at another time than it starts.")
            day, stop = _DAYS[first], _DAYS[last or first]
            while True:
                windows.append(shifts.Window(day, starts, ends))
                if day == stop:
                    break
                day = (day + 1) % 7
        return windows


class LayerForm(forms.ModelForm):
    members = PeopleField(help_text="Email addresses in the order they take turns, one a line.")
    windows = WindowsField(
        label="Restrictions",
        required=False,
        help_text="Empty: around the clock. Else when this layer has someone, in its zone, one a line: "
        "Mon-Fri 09:00-17:00; an end before the start runs overnight.",
    )

    class Meta:
        model = Layer
        fields = ["position", "name", "time_zone", "shift", "shift_hours", "handoff_weekday", "handoff_time"]
        fields += ["start_date"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"}), "handoff_time": forms.TimeInput(
            attrs={"type": "time"}, format="%H:%M")}  # fmt: skip

    def clean_position(self) -> int:
        position = self.cleaned_data["position"]
        taken = Layer.objects.filter(schedule_id=self.instance.schedule_id, position=position)
        if self.instance.schedule_id and taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another layer of this schedule has this position.")
        return position

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["members"] = [m.user for m in self.instance.members.all()]
            self.initial["windows"] = [
                shifts.Window(r.weekday, r.starts, r.ends) for r in self.instance.restrictions.all()
            ]
