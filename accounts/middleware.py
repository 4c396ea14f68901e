from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from supportdesk.timezones import zone_named

from .mfa import MFA_REQUIRED_MESSAGE, mfa_enrolment_missing

_ALWAYS_ALLOWED = ("/accounts/", "/static/")  # the health endpoints are answered before this (supportdesk/health.py)


class MfaRequiredMiddleware:
    """Someone REQUIRE_MFA covers who has no authenticator (and whose SSO sign-in did not use a trusted MFA) may
    only set one up.

    This sees session sign-ins; API tokens are held to the same rule in accounts.backends.TokenAuthentication.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(_ALWAYS_ALLOWED) and mfa_enrolment_missing(
            request.user, session=request.session
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MFA_REQUIRED_MESSAGE}, status=403)
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


# Set by static/js/timezone.js from Intl.DateTimeFormat().resolvedOptions().timeZone
TIME_ZONE_COOKIE = "tz"


class TimeZoneMiddleware:
    """Pages speak the viewer's time: their own setting, else their browser's zone (a cookie), else the site's.

    After AuthenticationMiddleware. A cookie naming no known zone is ignored, never an error. The API is left in the
    site's zone: scripts get the same offsets whoever runs them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            return self.get_response(request)  # the API writes ISO 8601 in the site's zone, whoever asks
        user = getattr(request, "user", None)
        own = user.time_zone if user is not None and user.is_authenticated else ""
        browser = zone_named(request.COOKIES.get(TIME_ZONE_COOKIE))
        zone = zone_named(own) or browser
        # Where the zone came from, for the profile page to say: "own", "browser" or "site"
        request.time_zone_source = "own" if own and zone else "browser" if zone else "site"
        timezone.activate(zone or settings.TIME_ZONE)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class HostHeaderMiddleware:
    """HTTP/1.0 lets a request leave out its Host header: Django then takes the host from the server's name (and
    checks it against ALLOWED_HOSTS), but python3-saml, under allauth's SAML views, reads the header itself and
    would fail with a 500. It is given the host Django settled on; a host not allowed is Django's 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_HOST" not in request.META:
            request.META["HTTP_HOST"] = request.get_host()
        return self.get_response(request)
