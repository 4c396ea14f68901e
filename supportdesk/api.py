"""API plumbing shared by every app: domain errors become 400s with a readable message."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


class BoundedJSONParser(JSONParser):
    """JSON as DRF reads it, but a body nested thousands deep is bad input, not a RecursionError (a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        exc = ValidationError({"detail": str(exc)})
    elif isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    return drf_exception_handler(exc, context)


# Django's own error pages, for the API's URLs: a client that speaks JSON gets JSON, even for a URL that does not
# exist, a body too large to read or a crash (DRF's exception handler sees only what its views raise).
def _json_or_page(status: int, detail: str, page):
    def view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": detail}, status=status)
        return page(request) if exception is None else page(request, exception)

    return view


bad_request = _json_or_page(400, "The request could not be read.", defaults.bad_request)
permission_denied = _json_or_page(403, "You do not have permission to perform this action.", defaults.permission_denied)
page_not_found = _json_or_page(404, "Not found.", defaults.page_not_found)
server_error = _json_or_page(500, "Something went wrong on our side; it has been logged.", defaults.server_error)
