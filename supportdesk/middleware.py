"""Refusals made before Django reads a request's body."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class RequestSizeLimitMiddleware:
    """A body larger than any the portal takes (every file allowed at once, plus the form) is a 413 before Django
    writes it to disk: a hundred files of 9 MB are refused for their size, not after 900 MB were read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.ATTACHMENT_MAX_TOTAL_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            limit = settings.ATTACHMENT_MAX_TOTAL_BYTES // (1024 * 1024)
            message = f"That is more than the {limit} MB of files one request may carry; send fewer or smaller ones."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
