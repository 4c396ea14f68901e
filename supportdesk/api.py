"""API plumbing shared by every app: domain errors become HTTP here and nowhere else (views just call services); the
API answers JSON even when a request fails outside DRF's handling (handler500), and an outage is a 503 to retry."""

import sys

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.exceptions import APIException, ParseError, PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import OUTAGES, DomainError, NotPermitted

RETRY_AFTER_SECONDS = 30


class BoundedJSONParser(JSONParser):
    """JSON as DRF reads it, but a body nested thousands deep is bad input, not a RecursionError (a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc


class Text(serializers.CharField):
    """Input text, strings only: DRF's CharField takes 0 as "0", where the schema (a string) says it is invalid."""

    default_error_messages = {"not_text": "Send this as text (a JSON string), not a number, list or object."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")  # not "invalid": a pattern's own message would describe the wrong fault
        return super().to_internal_value(data)


class TextMatching(serializers.RegexField, Text):
    pass


class _TextSchema(OpenApiSerializerFieldExtension):
    """Text refuses NUL characters and is trimmed before its length is checked: the schema's pattern says so
    (that many characters from the first to the last that are not spaces, so "\t" is not a valid tag)."""

    target_class = Text
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction) -> dict:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        least = max(field.min_length or 0, 0 if field.allow_blank else 1) if field.trim_whitespace else 0
        if direction == "request" and not isinstance(field, serializers.RegexField):  # its own pattern says it
            schema["pattern"] = text_pattern(least)
        return schema


def text_pattern(least: int = 0) -> str:
    """Text without NUL characters, at least `least` characters long once trimmed. With `least` 0 it is not empty:
    the schema offers "" as its own choice beside it (a blank field), and one value must not match both."""
    if least == 0:
        return r"^[^\u0000]+$"
    # what Python's strip() trims: \s to JSON Schema's (ECMA) regexes, which miss \x1c-\x1f and \x85 and count
    # \ufeff, which Python keeps
    edge, span = r"(?:[^\s\u0000\u001c-\u001f\u0085]|\ufeff)", r"[^\u0000]"
    inner = "" if least == 1 else rf"{span}{{{least - 2},}}{edge}"
    return rf"^{span}*{edge}{inner}{span}*$"


def domain_error_as_http(exc: DomainError) -> APIException:
    """A refusal as the API answers it: 403 for what the person may not do, else a 400 naming the field if any."""
    if isinstance(exc, NotPermitted):
        return PermissionDenied(str(exc))
    if exc.field:
        return ValidationError({exc.field: [str(exc)]})
    return ValidationError({"detail": str(exc)})


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        exc = domain_error_as_http(exc)
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
_crashed = _json_or_page(500, "Something went wrong on our side; it has been logged.", defaults.server_error)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: under /api/, an outage (database, cache, broker) is a 503 the client may retry, a crash a 500."""
    if request.path.startswith("/api/") and isinstance(sys.exc_info()[1], OUTAGES):  # inside Django's except block
        detail = "The service is briefly unavailable (a database or cache outage); try again in a minute."
        return JsonResponse({"detail": detail}, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return _crashed(request)
