from django import forms

from supportdesk.timezones import zone_named


class TimeZoneForm(forms.Form):
    """A person's time zone, by its IANA name; empty follows their browser."""

    time_zone = forms.CharField(
        required=False,
        max_length=64,
        label="Time zone",
        widget=forms.TextInput(attrs={"list": "zone-names", "autocomplete": "off", "spellcheck": "false"}),
        help_text="A name such as Europe/Paris or America/New_York. Leave it empty to follow your browser.",
    )

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        if name and zone_named(name) is None:
            raise forms.ValidationError(
                f"“{name}” is not a time zone we know. Pick one from the list, such as Europe/Paris."
            )
        return name
