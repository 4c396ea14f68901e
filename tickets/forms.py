from typing import cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model

from supportdesk.errors import DomainError

from . import policies, reference, selectors, services
from .models import LONG_TEXT_MAX, Queue, Severity, Ticket
from .workflow import Action

User = get_user_model()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def attachment_hint() -> str:
    types = ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS)
    return f"Up to {settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB a file: {types}."


def _tags(value: str) -> list[str]:
    try:
        return services.tag_names_clean(value.split(","))
    except DomainError as exc:
        raise forms.ValidationError(str(exc)) from exc


class SeverityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Severity) -> str:
        return f"{obj.name} · {obj.label}"


class TicketCreateForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="One line that says what is wrong or what you need.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=LONG_TEXT_MAX,
        help_text="What happened, what you expected, and who is affected.",
    )
    kind = forms.ChoiceField(
        choices=[(k, label) for k, label in Ticket.Kind.choices if k in Ticket.FILEABLE_KINDS],
        initial=Ticket.Kind.INCIDENT,
    )
    severity = SeverityChoiceField(queryset=Severity.objects.none(), empty_label=None)
    queue = forms.ModelChoiceField(
        queryset=Queue.objects.none(), required=False, empty_label="Let the service desk route it"
    )
    environment = forms.ChoiceField(
        choices=[("", "Not environment specific"), *Ticket.Environment.choices], required=False
    )
    aws_account_id = forms.RegexField(
        regex=r"^[0-9]{12}$",
        required=False,
        label="AWS account",
        error_messages={"invalid": "An AWS account id is exactly 12 digits."},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "123456789012"}),
    )
    tags = forms.CharField(required=False, help_text="Comma-separated, e.g. vpn, laptop.")
    attachments = MultipleFileField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not policies.may_set_aws_account(user):
            del self.fields["aws_account_id"]
        cast(forms.ModelChoiceField, self.fields["severity"]).queryset = Severity.objects.order_by("rank")
        self.fields["severity"].initial = reference.default_severity()
        cast(forms.ModelChoiceField, self.fields["queue"]).queryset = Queue.objects.order_by("name")
        self.fields["attachments"].help_text = attachment_hint()

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if len(title) < 4:
            raise forms.ValidationError("Give the ticket a title of a few words.")
        return title

    def clean_tags(self) -> list[str]:
        return _tags(self.cleaned_data["tags"])


class TicketEditForm(forms.Form):
    """Agents change every detail; the requester only the title and description of their open ticket."""

    title = forms.CharField(max_length=200, min_length=4)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=LONG_TEXT_MAX)
    severity = SeverityChoiceField(queryset=Severity.objects.order_by("rank"), empty_label=None)
    queue = forms.ModelChoiceField(queryset=Queue.objects.order_by("name"), empty_label=None)
    kind = forms.ChoiceField(choices=Ticket.Kind.choices)
    environment = forms.ChoiceField(
        choices=[("", "Not environment specific"), *Ticket.Environment.choices], required=False
    )
    aws_account_id = TicketCreateForm.base_fields["aws_account_id"]
    tags = forms.CharField(required=False, help_text="Comma-separated.")

    def __init__(self, *args, text_only: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if text_only:
            for name in list(self.fields):
                if name not in {"title", "description"}:
                    del self.fields[name]

    def clean_tags(self) -> list[str]:
        return _tags(self.cleaned_data["tags"])


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Comment", max_length=LONG_TEXT_MAX)
    is_internal = forms.BooleanField(required=False, label="Internal note (hidden from the requester)")
    attachments = MultipleFileField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachment_hint()


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=Action.choices)
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Nobody")

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = selectors.assignable_users(
            queue_id=ticket.queue_id
        )


class EscalateForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Keep the assignee")
    queue = forms.ModelChoiceField(
        queryset=Queue.objects.order_by("name"), required=False, empty_label="Keep the queue"
    )

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = selectors.assignable_users()
