from allauth.mfa.models import Authenticator
from django.conf import settings

from .access_cache import access_cached
from .roles import Role, user_role

MFA_REQUIRED_MESSAGE = "Set up an authenticator app first: sign in to the portal to do so."
# Set at each sign-in (accounts.signals): whether this session's SSO sign-in used MFA the admin trusts
IDP_MFA_SESSION_KEY = "accounts_idp_mfa"
# Entra ID says MFA in this attribute (values like http://schemas.microsoft.com/claims/multipleauthn), not the
# AuthnContextClassRef
_ENTRA_AMR = "http://schemas.microsoft.com/claims/authnmethodsreferences"


def mfa_required_for(user) -> bool:
    """REQUIRE_MFA's scope: "admins", "staff" (agents, managers and admins), "all" or "off"."""
    level = settings.REQUIRE_MFA
    if level == "off" or not user.is_authenticated:
        return False
    if level == "all" or user.is_staff:
        return True
    return level == "staff" and user_role(user) != Role.REQUESTER  # permissions are cached: no query


def mfa_enrolment_missing(user, *, session=None) -> bool:
    """In REQUIRE_MFA's scope, a person without an authenticator may do nothing but set one up; a session whose
    SSO sign-in used MFA the admin trusts counts as MFA (an API token has no session: it needs an authenticator)."""
    if not mfa_required_for(user) or (session is not None and session.get(IDP_MFA_SESSION_KEY)):
        return False
    enrolled = access_cached(
        user,
        "mfa_enrolled",
        lambda: Authenticator.objects.filter(
            user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).exists(),
    )
    return not enrolled


def idp_mfa_asserted(sociallogin) -> bool:
    """Whether the identity provider says this sign-in used MFA, from an app the admin trusts to say so: OIDC in
    the ID token's `amr` (RFC 8176), SAML in the assertion's AuthnContextClassRef (accounts.saml)
    or Entra ID's attribute."""
    provider = sociallogin.provider
    if not (provider.app.settings or {}).get("trust_idp_mfa", settings.SSO_TRUST_IDP_MFA):
        return False
    if provider.id == "saml":
        said = [*getattr(sociallogin, "saml_authn_contexts", ()), *sociallogin.account.extra_data.get(_ENTRA_AMR, ())]
        return bool(set(said) & set(settings.SAML_MFA_AUTHN_CONTEXTS))
    id_token = sociallogin.account.extra_data.get("id_token") or {}
    return bool(set(id_token.get("amr") or ()) & set(settings.SSO_MFA_AMR))
