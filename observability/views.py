from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from .access import scrape_allowed
from .collectors import SupportdeskCollector
from .exposition import scrape

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@csrf_exempt  # a POST gets the same 404 as any refused scrape (or a 405), not the CSRF page
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape: every process's metrics and the gauges read now. Refused as a 404, before anything else,
    so the address does not say that it exists."""
    allowed = scrape_allowed(
        authorization=request.headers.get("Authorization", ""),
        peer=request.META.get("REMOTE_ADDR", ""),
        forwarded="X-Forwarded-For" in request.headers,
    )
    if not allowed:
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse(scrape(SupportdeskCollector()), content_type=CONTENT_TYPE)
