from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP  # staff are created by admins or arrive through SSO


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        """SSO makes accounts only for the organisation's own email domains: a multi-tenant identity
        provider (Google, a shared Entra app) would otherwise let any outsider in."""
        email = (sociallogin.user.email or "").lower()
        domain = email.rpartition("@")[2]
        return (bool(email) and domain in settings.SSO_SIGNUP_DOMAINS) or settings.ACCOUNT_ALLOW_SIGNUP
