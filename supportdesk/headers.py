"""Security headers Django 5.2 does not send itself, on every response.

Content-Security-Policy: scripts only from our own origin, never inline (templates keep script in static/js/, data
for it in attributes or JSON blocks), no plugins, no framing, no <base> swaps. Inline *styles* stay allowed: the
severity colours are `style="--sev: …"` attributes and swagger-ui and htmx add style elements. Images may be data:
URIs (the authenticator app's QR code, swagger-ui's icons).
Permissions-Policy: the portal uses no camera, microphone, location, motion sensors, payment or USB.
Cache-Control: no-store on every API answer (tickets, comments, notes: nothing a shared proxy or a disk may keep);
the pages that show secrets or tickets say it themselves (never_cache).
A small middleware rather than django-csp: one fixed policy, no per-view exceptions, no nonces to thread through.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)
_UNUSED = ["accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone", "payment", "usb"]
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in _UNUSED)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
