from allauth.mfa.models import Authenticator
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

_ALWAYS_ALLOWED = ("/accounts/", "/static/", "/healthz")


class AdminMfaRequiredMiddleware:
    """With REQUIRE_ADMIN_MFA, an admin without an authenticator app may only set one up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.REQUIRE_ADMIN_MFA and self._must_enrol(request):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request) -> bool:
        user = request.user
        if not (user.is_authenticated and user.is_staff) or request.path.startswith(_ALWAYS_ALLOWED):
            return False
        if request.session.get("mfa_enrolled"):
            return False
        if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            request.session["mfa_enrolled"] = True
            return False
        return True
