"""A ticket's AWS Support case in the API: read it, or open it through the same service as the page."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.types import AuthedRequest
from awsgateway.errors import AwsError
from awsgateway.support import CC_LIMIT
from supportdesk.api import Text

from ..models import IssueType, SupportCase
from ..services import opening


class SupportCaseInputSerializer(serializers.Serializer):
    issue_type = serializers.ChoiceField(
        choices=IssueType.choices,
        default=IssueType.TECHNICAL,
        help_text="technical, or customer-service (account and billing): each has its own services.",
    )
    service_code = Text(max_length=100, help_text="From AWS's service list (describe_services), of the issue type.")
    category_code = Text(max_length=100)
    severity_code = Text(max_length=20, help_text="One the account's plan offers.")
    subject = Text(max_length=255, required=False, help_text="Defaults to the ticket's title.")
    body = Text(help_text="The first message to AWS; at most 8000 characters.")
    cc_emails = serializers.ListField(child=Text(max_length=254), max_length=CC_LIMIT, default=list)


class SupportCaseSerializer(serializers.ModelSerializer):
    severity = serializers.CharField(source="get_severity_code_display", read_only=True)

    class Meta:
        model = SupportCase
        fields = [
            "case_id",
            "display_id",
            "state",
            "status",
            "severity_code",
            "severity",
            "issue_type",
            "origin",
            "service_code",
            "category_code",
            "subject",
            "cc",
            "opened_at",
            "last_synced_at",
            "note",
            "error",
        ]


class AwsDidNotAnswer(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "AWS did not answer; try again in a minute."


class TicketAwsCaseView(APIView):
    """GET the ticket's case; POST opens it (agents of the ticket's queue). Tickets you may not see are 404s."""

    @extend_schema(responses=SupportCaseSerializer)
    def get(self, request: AuthedRequest, reference: str) -> Response:
        ticket = opening.case_ticket(user=request.user, reference=reference)
        case = SupportCase.objects.filter(ticket=ticket).first()
        if case is None:
            raise NotFound(f"{ticket.reference} has no AWS Support case.")
        return Response(SupportCaseSerializer(case).data)

    @extend_schema(
        request=SupportCaseInputSerializer,
        responses={201: SupportCaseSerializer, 202: SupportCaseSerializer},
        description="201: the case is open. 202: AWS did not answer in time; Supportdesk finds or opens the case.",
    )
    def post(self, request: AuthedRequest, reference: str) -> Response:
        ticket = opening.case_ticket(user=request.user, reference=reference)
        data = SupportCaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = {"subject": ticket.title, **data.validated_data}
        try:  # a refusal (NotAllowed, CaseFieldInvalid) is answered by supportdesk.api.exception_handler
            case = opening.support_case_open(ticket=ticket, actor=request.user, **values)
        except AwsError as exc:
            raise AwsDidNotAnswer(f"{exc} Nothing was opened; try again in a minute.") from exc
        opened = case.state == SupportCase.State.OPEN
        return Response(SupportCaseSerializer(case).data, status=201 if opened else 202)
