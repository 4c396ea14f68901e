from typing import cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model

from supportdesk.errors import DomainError

from . import policies, reference, selectors, services
from .models import LONG_TEXT_MAX, CannedReply, Queue, Severity, Ticket
from .services import BULK_MAX, BulkAction
from .workflow import NOTE_REQUIRED, Action

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


# The engineer's workspace ------------------------------------------------------------------------------------------


class SeverityForm(forms.Form):
    severity = SeverityChoiceField(queryset=Severity.objects.order_by("rank"), empty_label=None)


class QueueForm(forms.Form):
    queue = forms.ModelChoiceField(queryset=Queue.objects.order_by("name"), empty_label=None)


class StatusForm(TransitionForm):
    """A status change in place: the actions this person may take on this ticket, a note where one is needed."""

    def __init__(self, *args, actions: list[Action], **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["action"])
        # Offered: what this person may do now; accepted: any action, so a stale choice gets the service's reason
        cast(forms.Select, field.widget).choices = [("", "Change status…"), *((a.value, a.label) for a in actions)]
        field.label = "Status"
        self.fields["note"].label = "Note (needed to resolve or reopen)"
        self.fields["note"].widget = forms.TextInput()

    def clean(self):
        data = super().clean()
        action = (data or {}).get("action")
        if action in NOTE_REQUIRED and not (data or {}).get("note", "").strip():
            self.add_error("note", f"Say why: “{Action(action).label}” needs a note.")
        return data


class TicketIdsField(forms.Field):
    """The selected tickets' ids, from checkboxes; at most BULK_MAX."""

    def to_python(self, value) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        try:
            ids = sorted({int(v) for v in values})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError("Those are not tickets.") from exc
        if not ids:
            raise forms.ValidationError("Select at least one ticket.")
        if len(ids) > BULK_MAX:
            raise forms.ValidationError(f"Select at most {BULK_MAX} tickets at a time; you selected {len(ids)}.")
        return ids


class BulkForm(forms.Form):
    tickets = TicketIdsField(widget=forms.MultipleHiddenInput)
    action = forms.ChoiceField(choices=BulkAction.choices)
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    queue = forms.ModelChoiceField(queryset=Queue.objects.order_by("name"), required=False)
    note = forms.CharField(required=False, max_length=2000)
    query = forms.CharField(required=False, max_length=2000)  # the list to go back to

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = selectors.assignable_users()

    def clean(self):
        data = super().clean() or {}
        action = data.get("action")
        if action == BulkAction.ASSIGN and not data.get("assignee"):
            self.add_error("assignee", "Choose whom to assign the tickets to.")
        if action == BulkAction.MOVE and not data.get("queue"):
            self.add_error("queue", "Choose the queue to move the tickets to.")
        if action == BulkAction.RESOLVE and not data.get("note", "").strip():
            self.add_error("note", "Say what fixed them: resolving needs a note.")
        return data


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="For example “my SEV1-2 in production”.")
    shared_with = forms.ModelChoiceField(
        queryset=Queue.objects.none(), required=False, empty_label="Only me", label="Share with"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        sight = policies.sight_of(user)
        queues = Queue.objects.order_by("name")
        if not sight.everything:
            queues = queues.filter(pk__in=sorted(sight.queue_ids))
        cast(forms.ModelChoiceField, self.fields["shared_with"]).queryset = queues


class SavedViewCreateForm(SavedViewForm):
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class CannedReplyForm(forms.Form):
    title = forms.CharField(max_length=80)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=LONG_TEXT_MAX,
        help_text="Placeholders: {{ requester }}, {{ reference }}, {{ title }}, {{ queue }}, {{ assignee }}, {{ me }}.",
    )
    queue = forms.ModelChoiceField(queryset=Queue.objects.order_by("name"), required=False, empty_label="Every queue")
    team = forms.BooleanField(required=False, label="The team's reply (offered to everyone, not only me)")

    def __init__(self, *args, user, reply: CannedReply | None = None, **kwargs):
        if reply is not None:
            initial = {
                "title": reply.title,
                "body": reply.body,
                "queue": reply.queue_id,
                "team": reply.owner_id is None,
            }
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        if not policies.may_keep_team_replies(user):
            del self.fields["team"]
