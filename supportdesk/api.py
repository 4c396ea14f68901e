"""API plumbing shared by every app: domain errors become 400s with a readable message; the API answers JSON even
when a request fails outside DRF's handling (handler500), and an outage is a 503 to retry."""

import sys

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import OUTAGES, DomainError

RETRY_AFTER_SECONDS = 30


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        exc = ValidationError({"detail": str(exc)})
    elif isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    return drf_exception_handler(exc, context)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an uncaught error (in a view or a middleware: sessions, authentication) is JSON under /api/."""
    if not request.path_info.startswith("/api/"):
        return defaults.server_error(request)
    if isinstance(sys.exc_info()[1], OUTAGES):  # called inside Django's except block
        detail = "The service is briefly unavailable (a database or cache outage); try again in a minute."
        return JsonResponse({"detail": detail}, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return JsonResponse({"detail": "The server failed to answer this request; the error was logged."}, status=500)
