from datetime import timedelta

from django import forms

from .models import LONGEST_DELAY, PHONE_MEDIA, Band, Medium

TIGHTEN_HELP = (
    "Your rules may only tighten your teams' defaults: for every step of a default, keep a step at least as loud "
    "(a call beats an SMS, an SMS beats a Slack DM, a Slack DM beats email) at the same time or sooner. A Slack DM "
    "sits below SMS: it pushes to your phone at once with buttons that act, but only with the Slack app signed in "
    "and outside Slack's do-not-disturb, where an SMS reaches any phone. Add steps freely; a step that would "
    "loosen a default is refused."
)


class NumberForm(forms.Form):
    medium = forms.ChoiceField(label="For", choices=[(m.value, m.label) for m in PHONE_MEDIA])
    phone = forms.CharField(
        label="Number",
        max_length=32,
        help_text="International format, e.g. +44 7700 900123. We text it a code to check it is yours.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


class SlackForm(forms.Form):
    slack_user_id = forms.CharField(
        label="Slack member ID",
        max_length=24,
        required=False,
        help_text="Leave empty to be found by your email address. Or, in Slack: your profile, ⋮ (more), Copy member "
        "ID (U…); we send it a code by DM to check it is yours.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class StepForm(forms.Form):
    band = forms.ChoiceField(label="For", choices=Band.choices)
    minutes = forms.IntegerField(
        label="After (minutes)",
        min_value=0,
        max_value=int(LONGEST_DELAY.total_seconds() // 60),
        initial=0,
        help_text="0 is at once; counted from the start of the page, while nobody has acknowledged.",
    )
    medium = forms.ChoiceField(label="By", choices=Medium.choices)

    def __init__(self, data=None) -> None:
        # Shares a field name with the number form on the same page: ids of its own, so each label finds its field
        super().__init__(data, auto_id="id_step_%s")

    @property
    def delay(self) -> timedelta:
        return timedelta(minutes=self.cleaned_data["minutes"])
