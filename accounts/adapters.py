from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings

from . import selectors, services
from .mfa import idp_mfa_asserted


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP  # staff are created by admins or arrive through SSO

    # Wrong passwords are counted in the database per address and account (accounts/selectors.py), in place of
    # allauth's count in the cache: per process with the in-process cache, and per account alone, so that
    # anyone could lock the owner out.
    def pre_authenticate(self, request, **credentials) -> None:
        if selectors.login_locked(ip=self.get_client_ip(request), login=_login(credentials)):
            raise self.validation_error("too_many_login_attempts")

    def authentication_failed(self, request, **credentials) -> None:
        services.login_failure_record(ip=self.get_client_ip(request), login=_login(credentials))


def _login(credentials: dict) -> str:
    return credentials.get("email", credentials.get("username", ""))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        """SSO makes accounts only for the organisation's own email domains: a multi-tenant identity
        provider (Google, a shared Entra app) would otherwise let any outsider in."""
        email = (sociallogin.user.email or "").lower()
        domain = email.rpartition("@")[2]
        return (bool(email) and domain in settings.SSO_SIGNUP_DOMAINS) or settings.ACCOUNT_ALLOW_SIGNUP

    def pre_social_login(self, request, sociallogin) -> None:
        # Read now, from the provider's answer (a SAML assertion is not kept): the login's state is what survives
        # allauth's stages to the sign-in (accounts.signals.idp_mfa_recorded)
        sociallogin.state["idp_mfa"] = idp_mfa_asserted(sociallogin)
