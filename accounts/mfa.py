from allauth.mfa.models import Authenticator
from django.conf import settings

from .access_cache import access_cached

MFA_REQUIRED_MESSAGE = "Administrators must set up an authenticator app first: sign in to the portal to do so."


def mfa_enrolment_missing(user) -> bool:
    """With REQUIRE_ADMIN_MFA, an admin without an authenticator app may do nothing but set one up."""
    if not (settings.REQUIRE_ADMIN_MFA and user.is_authenticated and user.is_staff):
        return False
    enrolled = access_cached(
        user, "mfa_enrolled", lambda: Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    )
    return not enrolled
