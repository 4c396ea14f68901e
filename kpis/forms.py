"""The drill-down's own parameters, on top of the shared KpiFilterForm."""

from django import forms

from tickets.models import Ticket

from .selectors import AGE_BANDS, AWS_DRILL_SETS, DRILL_SETS


class DrillForm(forms.Form):
    set = forms.ChoiceField(
        choices=[*DRILL_SETS.items(), *AWS_DRILL_SETS.items()],
        error_messages={
            "invalid_choice": "There is no such list of tickets.",
            "required": "Say which tickets to list.",
        },
    )
    day = forms.DateField(required=False)
    kind = forms.ChoiceField(required=False, choices=[("", "Any source"), *Ticket.Kind.choices])
    band = forms.ChoiceField(required=False, choices=[("", "Any age"), *((k, label) for k, label, *_ in AGE_BANDS)])
    category = forms.CharField(required=False, max_length=60)
    check = forms.CharField(required=False, max_length=64)

    @property
    def title(self) -> str:
        return {**DRILL_SETS, **AWS_DRILL_SETS}[self.cleaned_data["set"]]
