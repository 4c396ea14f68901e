"""SAML 2.0 sign-in: allauth's SAML provider, holding every identity provider to signed assertions and keeping how
it authenticated the person (for REQUIRE_MFA, accounts/mfa.py). Named in SOCIALACCOUNT_PROVIDERS["saml"]."""

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.saml.provider import SAMLProvider as AllauthSAMLProvider
from allauth.socialaccount.providers.saml.utils import get_app_or_404
from allauth.socialaccount.providers.saml.views import finish_acs
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"


class SAMLProvider(AllauthSAMLProvider):
    package = "allauth.socialaccount.providers.saml"  # allauth's URLs and views serve it
    # The names Okta and Google Workspace are usually given (they are chosen by whoever sets the app up), Entra ID's
    # claim URIs and the LDAP OIDs; an app's "attribute_mapping" replaces this.
    default_attribute_mapping = {
        "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],  # else the NameID
        "email": ["email", "urn:oid:0.9.2342.19200300.100.1.3", f"{_EMAIL}emailaddress"],
        "first_name": ["first_name", "firstName", "givenName", "urn:oid:2.5.4.42", f"{_EMAIL}givenname"],
        "last_name": ["last_name", "lastName", "sn", "urn:oid:2.5.4.4", f"{_EMAIL}surname"],
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Whatever an app's settings say: an assertion nobody signed could come from anyone who can reach the ACS
        app_settings = self.app.settings or {}
        advanced = {**app_settings.get("advanced", {}), "strict": True, "want_assertion_signed": True}
        self.app.settings = {**app_settings, "advanced": advanced}

    def extract_common_fields(self, data):
        fields = super().extract_common_fields(data)
        # The organisation's own IdP, set up by an admin with its certificate, vouches for its people's addresses
        # (allauth lets nobody with an unverified address add an authenticator); an IdP that says otherwise wins
        fields.setdefault("email_verified", True)
        return fields

    def sociallogin_from_response(self, request, response):
        sociallogin = super().sociallogin_from_response(request, response)
        # allauth keeps the attributes (extra_data); how the IdP authenticated the person is in the assertion's
        # AuthnContextClassRef, read once here (accounts.adapters records whether it counts as MFA)
        sociallogin.saml_authn_contexts = response.get_last_authn_contexts()
        return sociallogin

    def unstash_redirect_state(self, request, state_id):
        try:
            return super().unstash_redirect_state(request, state_id)
        except PermissionDenied:  # allauth's answer would be the portal's "your role doesn't allow this"
            reason = "It answers a sign-in this browser did not start, or one already finished."
            context = {"saml_errors": ["unexpected_response"], "saml_last_error_reason": reason}
            raise ImmediateHttpResponse(render_authentication_error(request, self, extra_context=context)) from None


def saml_finish_acs(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's last step of a SAML sign-in, with an answer it cannot read (not XML, a DTD, no subject) refused like
    any other bad answer: python3-saml's parser and allauth raise those as a 500."""
    try:
        return finish_acs(request, organization_slug=organization_slug)
    except (SyntaxError, ValueError):  # lxml's XMLSyntaxError is a SyntaxError; the DTD refusal a ValueError
        provider = get_app_or_404(request, organization_slug).get_provider(request)
        reason = "The response could not be read as a SAML sign-in."
        context = {"saml_errors": ["invalid_response"], "saml_last_error_reason": reason}
        return render_authentication_error(request, provider, extra_context=context)
