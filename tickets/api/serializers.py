from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DatabaseError
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from supportdesk.api import Text, TextMatching
from supportdesk.errors import DomainError
from tickets import policies, reference, services
from tickets.models import LONG_TEXT_MAX, Comment, Queue, Severity, Ticket, TicketEvent

User = get_user_model()


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    email = serializers.EmailField()


class SeveritySerializer(serializers.ModelSerializer):
    class Meta:
        model = Severity
        fields = ["name", "label", "rank", "colour", "response_target", "resolution_target", "description"]


class QueueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Queue
        fields = ["slug", "name", "description", "oncall_contact", "is_default"]


class TicketListSerializer(serializers.Serializer):
    """Built by hand, not a ModelSerializer: the list is the hottest endpoint."""

    reference = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    severity = serializers.CharField(source="severity.name")
    queue = serializers.CharField(source="queue.slug")
    assignee = PersonSerializer(allow_null=True)
    environment = serializers.CharField()
    aws_account_id = serializers.CharField()
    escalation_level = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    response_due_at = serializers.DateTimeField()
    resolution_due_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, ticket: Ticket) -> str:
        request = self.context.get("request")
        path = f"/api/tickets/{ticket.reference}/"
        return request.build_absolute_uri(path) if request else path


class TicketDetailSerializer(TicketListSerializer):
    description = serializers.CharField()
    requester = PersonSerializer()
    tags = serializers.ListField(child=serializers.CharField(), source="tag_names")
    watchers = PersonSerializer(many=True, source="watcher_people")
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    is_breaching = serializers.BooleanField()
    sla_paused_since = serializers.DateTimeField(allow_null=True, help_text="Set while the SLA clocks are paused.")
    sla_paused_for = serializers.DurationField(help_text="SLA time paused in all; the due times moved later by it.")
    next_update_due_at = serializers.DateTimeField(allow_null=True, help_text="When a public update is owed.")


class _SeverityByName(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="name", queryset=Severity.objects.all(), **kwargs)

    def to_internal_value(self, data):
        match = next((s for s in reference.severities() if s.name == data), None)
        if match is None:
            names = ", ".join(s.name for s in reference.severities())
            raise serializers.ValidationError(f"Unknown severity “{data}”; use one of {names}.")
        return match


class _QueueBySlug(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Queue.objects.all(), **kwargs)

    def to_internal_value(self, data):
        match = next((q for q in reference.queues() if q.slug == data), None)
        if match is None:
            raise serializers.ValidationError(f"Unknown queue “{data}”; GET /api/queues/ lists them.")
        return match


def severity_names() -> list[str]:
    return [s.name for s in reference.severities()]


def queue_slugs() -> list[str]:
    return [q.slug for q in reference.queues()]


def schema_enum(names: Callable[[], list[str]]) -> list[str]:
    """Reference data for the schema, read as it is served; none when it is built without a database (the
    deploy check)."""
    try:
        return names()
    except DatabaseError:
        return []


class _ReferenceDataNames(OpenApiSerializerFieldExtension):
    """The schema lists the severities and queues that exist as it is served: any other name is a 400."""

    target_class: type[serializers.Field] = _SeverityByName
    match_subclasses = True
    names = staticmethod(severity_names)

    def map_serializer_field(self, auto_schema, direction) -> dict:
        enum = schema_enum(self.names)
        return {"type": "string", "enum": enum} if enum else {"type": "string"}


class _QueueSlugs(_ReferenceDataNames):
    target_class = _QueueBySlug
    names = staticmethod(queue_slugs)


_ACCOUNT_ID = r"^[0-9]{12}$"
_ACCOUNT_INVALID: dict[str, Any] = {"invalid": "An AWS account id is exactly 12 digits."}
_account = TextMatching(_ACCOUNT_ID, required=False, allow_blank=True, error_messages=_ACCOUNT_INVALID)
_tags = serializers.ListField(child=Text(max_length=50), required=False, max_length=20)


class _StaffSetAccount(TextMatching):
    """A new ticket's AWS account: staff set it (it can open AWS Support cases); others may leave it empty."""


class _StaffSetAccountSchema(OpenApiSerializerFieldExtension):
    """The schema is served to one reader: for those who may not set the account, only an empty one is valid."""

    target_class = _StaffSetAccount
    priority = 1  # over Text's pattern

    def map_serializer_field(self, auto_schema, direction) -> dict:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        request = getattr(auto_schema.view, "request", None)
        if direction == "request" and request is not None and not policies.may_set_aws_account(request.user):
            return {"type": "string", "enum": [""], "description": "Only staff set the AWS account."}
        return schema


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo or a read-only field is not silently ignored."""

    hints: dict[str, str] = {}

    def validate_tags(self, tags: list[str]) -> list[str]:
        try:
            return services.tag_names_clean(tags)
        except DomainError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate(self, attrs: dict) -> dict:
        unknown = sorted(set(self.initial_data) - set(self.fields)) if isinstance(self.initial_data, dict) else []
        if unknown:
            raise serializers.ValidationError({f: self.hints.get(f, "Not a field you can set here.") for f in unknown})
        return attrs


class _StrictSchema(OpenApiSerializerExtension):
    """The schema says what StrictSerializer does: a field it does not know is a 400."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction) -> dict:
        return auto_schema._map_basic_serializer(self.target, direction) | {"additionalProperties": False}


_STATUS_HINT = "Change the status with POST /api/tickets/<reference>/<transition>/ (acknowledge, resolve, …)."
_ASSIGNEE_HINT = "Assign with POST /api/tickets/<reference>/assign/."


class TicketCreateSerializer(StrictSerializer):
    title = Text(max_length=200, min_length=4)
    description = Text(required=False, allow_blank=True, max_length=LONG_TEXT_MAX)
    kind = serializers.ChoiceField(choices=Ticket.Kind.choices, default=Ticket.Kind.INCIDENT)
    severity = _SeverityByName()
    queue = _QueueBySlug(required=False, allow_null=True)
    environment = serializers.ChoiceField(choices=Ticket.Environment.choices, required=False, allow_blank=True)
    aws_account_id = _StaffSetAccount(_ACCOUNT_ID, required=False, allow_blank=True, error_messages=_ACCOUNT_INVALID)
    tags = _tags

    hints = {"status": _STATUS_HINT, "assignee": _ASSIGNEE_HINT}

    def validate_kind(self, kind: str) -> str:
        user = self.context["request"].user
        if kind not in Ticket.FILEABLE_KINDS and not user.has_perm("tickets.work_ticket"):
            raise PermissionDenied("Only agents may file tickets of this kind.")  # a 403: the kind is valid
        return kind

    def validate_aws_account_id(self, account_id: str) -> str:
        if account_id and not policies.may_set_aws_account(self.context["request"].user):
            raise serializers.ValidationError("Only staff may set the AWS account: it can open AWS Support cases.")
        return account_id


class TicketUpdateSerializer(StrictSerializer):
    hints = {"status": _STATUS_HINT, "assignee": _ASSIGNEE_HINT}
    title = Text(max_length=200, min_length=4, required=False)
    description = Text(required=False, allow_blank=True, max_length=LONG_TEXT_MAX)
    kind = serializers.ChoiceField(choices=Ticket.Kind.choices, required=False)
    severity = _SeverityByName(required=False)
    queue = _QueueBySlug(required=False)
    environment = serializers.ChoiceField(choices=Ticket.Environment.choices, required=False, allow_blank=True)
    aws_account_id = _account
    tags = _tags


class TransitionSerializer(serializers.Serializer):
    note = Text(required=False, allow_blank=True, max_length=2000, default="")


class AssignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), allow_null=True)


class EscalateSerializer(serializers.Serializer):
    reason = Text(max_length=2000)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    queue = _QueueBySlug(required=False, allow_null=True, default=None)


class CommentSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True, allow_null=True)
    body = Text(max_length=LONG_TEXT_MAX)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "is_internal", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class EventCommentSerializer(serializers.ModelSerializer):
    """A comment inside its timeline event: the event's actor is its author."""

    class Meta:
        model = Comment
        fields = ["id", "body", "is_internal", "created_at"]


class EventSerializer(serializers.ModelSerializer):
    actor = PersonSerializer(read_only=True, allow_null=True)
    comment = EventCommentSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor", "data", "comment", "is_internal", "created_at"]
