"""Thin DRF views: the same selectors (access rule, filters) and services as the HTML pages."""

from collections.abc import Callable, Iterator
from functools import partial

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.types import AuthedRequest
from supportdesk.api import text_pattern
from tickets import reference, selectors, services
from tickets.filters import TicketFilterForm
from tickets.models import Ticket
from tickets.workflow import Action

from . import serializers as s

ACTION_PATTERN = "|".join(a.value for a in Action)


class _Current:
    """Names read as the schema is served, not at import: the severities or queues that exist now."""

    def __init__(self, names: Callable[[], list[str]]):
        self._names = names

    def __iter__(self) -> Iterator[str]:
        return iter(s.schema_enum(self._names))

    def __len__(self) -> int:
        return len(s.schema_enum(self._names))


_DAY = {"type": "string", "format": "date", "pattern": r"^(19[7-9][0-9]|2[0-9]{3})-[0-9]{2}-[0-9]{2}$"}

FILTER_PARAMETERS = [
    OpenApiParameter(
        "q",
        {"type": "string", "maxLength": 200, "pattern": text_pattern()},
        description="Text in the title or description, or a reference such as SD-1042.",
    ),
    OpenApiParameter(
        "status", str, enum=["open", "all", *Ticket.Status.values], description="open (default), all, or one status."
    ),
    OpenApiParameter("severity", str, enum=_Current(s.severity_names)),  # type: ignore[arg-type]  # iterated when served
    OpenApiParameter("queue", str, enum=_Current(s.queue_slugs), description="Queue slug."),  # type: ignore[arg-type]
    OpenApiParameter("assignee", str, pattern=r"^(me|none|[0-9]{1,18})$", description="me, none, or a user id."),
    OpenApiParameter("requester", str, enum=["me"]),
    OpenApiParameter("kind", str, enum=Ticket.Kind.values),
    OpenApiParameter("environment", str, enum=Ticket.Environment.values),
    OpenApiParameter("account", str, pattern=r"^[0-9]{12}$", description="12-digit AWS account id."),
    # Read as an HTML checkbox is: any value but empty, 0 or false means yes
    OpenApiParameter("breaching", str, description="Only tickets past an SLA due time: true (or on, 1)."),
    OpenApiParameter("sort", str, enum=["newest", "oldest", "updated", "severity", "due"]),
    *(
        OpenApiParameter(
            f"{name}_{end}",
            _DAY,
            description=f"{name.capitalize()} {end} this day, inclusive, in the site's time zone (1970 to 2999).",
        )
        for name in ("created", "resolved")
        for end in ("from", "to")
    ),
]


@extend_schema_view(list=extend_schema(parameters=FILTER_PARAMETERS))
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z]+-\d+"
    serializer_class = s.TicketListSerializer
    request: AuthedRequest  # IsAuthenticated (the default permission) lets only people in

    def get_filter_form(self) -> TicketFilterForm:
        if not hasattr(self, "_filter_form"):
            self._filter_form = TicketFilterForm(self.request.query_params)
            if not self._filter_form.is_valid():
                raise ValidationError(self._filter_form.errors)  # type: ignore[arg-type]  # a dict of lists
        return self._filter_form

    def keyset_ordering(self) -> list[str]:
        return self.get_filter_form().ordering

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.ticket_list(user=self.request.user, form=self.get_filter_form())

    def get_object(self) -> Ticket:
        return selectors.ticket_detail(user=self.request.user, reference=self.kwargs["reference"])  # 404 if hidden

    def get_serializer_class(self):
        return s.TicketListSerializer if self.action == "list" else s.TicketDetailSerializer

    def _detail(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        ticket = selectors.ticket_after_change(user=self.request.user, ticket=ticket)
        return Response(s.TicketDetailSerializer(ticket, context={"request": self.request}).data, status=code)

    def _change(self, input_class, service) -> Response:
        """Validate the body, apply one service to the ticket as the caller, answer with the ticket.

        A refusal (a DomainError) becomes its HTTP answer in supportdesk.api.exception_handler."""
        ticket = self.get_object()
        data = input_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        ticket = service(ticket=ticket, actor=self.request.user, **data.validated_data)
        return self._detail(ticket)

    @extend_schema(request=s.TicketCreateSerializer, responses={201: s.TicketDetailSerializer})
    def create(self, request: Request) -> Response:
        data = s.TicketCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        ticket = services.ticket_create(requester=self.request.user, **data.validated_data)
        return self._detail(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=s.TicketUpdateSerializer, responses=s.TicketDetailSerializer)
    def partial_update(self, request: AuthedRequest, reference: str) -> Response:
        return self._change(s.TicketUpdateSerializer, services.ticket_update)  # every field is optional

    @extend_schema(
        request=s.TransitionSerializer,
        responses=s.TicketDetailSerializer,
        parameters=[OpenApiParameter("transition", str, OpenApiParameter.PATH, enum=Action.values)],
        description="Move the ticket along the workflow. resolve and reopen need a note.",
        operation_id="tickets_transition",
    )
    @action(detail=True, methods=["post"], url_path=rf"(?P<transition>{ACTION_PATTERN})")
    def transition(self, request: AuthedRequest, reference: str, transition: str) -> Response:
        return self._change(s.TransitionSerializer, partial(services.ticket_transition, action=transition))

    @extend_schema(request=s.AssignSerializer, responses=s.TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: AuthedRequest, reference: str) -> Response:
        return self._change(s.AssignSerializer, services.ticket_assign)

    @extend_schema(request=s.EscalateSerializer, responses=s.TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request: AuthedRequest, reference: str) -> Response:
        return self._change(s.EscalateSerializer, services.ticket_escalate)

    @extend_schema(methods=["get"], responses=s.CommentSerializer(many=True))
    @extend_schema(methods=["post"], request=s.CommentSerializer, responses={201: s.CommentSerializer})
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: AuthedRequest, reference: str) -> Response:
        ticket = self.get_object()
        if request.method == "POST":
            data = s.CommentSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            comment = services.comment_add(ticket=ticket, author=request.user, **data.validated_data)
            return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.ticket_comments(ticket=ticket, user=request.user))
        return self.get_paginated_response(s.CommentSerializer(page, many=True).data)

    @extend_schema(responses=s.EventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request: AuthedRequest, reference: str) -> Response:
        ticket = self.get_object()
        page = self.paginate_queryset(selectors.ticket_events(ticket=ticket, user=request.user))
        return self.get_paginated_response(s.EventSerializer(page, many=True).data)

    def paginate_queryset(self, queryset):
        if self.action in {"comments", "timeline"}:
            self.keyset_ordering = lambda: ["id"]  # type: ignore[method-assign]  # oldest first, like a conversation
        return super().paginate_queryset(queryset)


class SeverityViewSet(viewsets.ViewSet):
    @extend_schema(responses=s.SeveritySerializer(many=True))
    def list(self, request: Request) -> Response:
        return Response(s.SeveritySerializer(reference.severities(), many=True).data)


class QueueViewSet(viewsets.ViewSet):
    @extend_schema(responses=s.QueueSerializer(many=True))
    def list(self, request: Request) -> Response:
        return Response(s.QueueSerializer(reference.queues(), many=True).data)
