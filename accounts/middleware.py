from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .mfa import MFA_REQUIRED_MESSAGE, mfa_enrolment_missing

_ALWAYS_ALLOWED = ("/accounts/", "/static/", "/healthz")


class AdminMfaRequiredMiddleware:
    """With REQUIRE_ADMIN_MFA, an admin without an authenticator app may only set one up.

    This sees session sign-ins; API tokens are held to the same rule in accounts.backends.TokenAuthentication.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(_ALWAYS_ALLOWED) and mfa_enrolment_missing(request.user):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MFA_REQUIRED_MESSAGE}, status=403)
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
