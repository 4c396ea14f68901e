"""A SAML 2.0 identity provider for tests only: no internet, a key and certificate made at test time.

`TestIdP.response(...)` is a signed SAML Response as an IdP POSTs it to the SP's ACS (HTTP-POST binding), its
assertion signed with python3-saml's own signing (xmlsec); knobs make it unsigned, forged, expired or meant for
another audience. `TestIdP.serve()` runs it as a tiny HTTP server on a free port for the browser round trip: the
SP redirects to `/sso` with the AuthnRequest (HTTP-Redirect binding), the page lists who may sign in, and each
button POSTs that person's signed Response to the ACS the request named.
"""

import html
import threading
from base64 import b64encode
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from uuid import uuid4

from lxml import etree
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from tools.sandbox.certificates import key_pem, self_signed

SAML, SAMLP = "urn:oasis:names:tc:SAML:2.0:assertion", "urn:oasis:names:tc:SAML:2.0:protocol"
PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
REFEDS_MFA = "https://refeds.org/profile/mfa"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"  # Entra ID's name; Okta's is yours


@cache
def _idp_key_and_cert() -> tuple[str, str]:
    return key_and_cert("Test IdP")  # RSA key generation is the slow part: once per run


def key_and_cert(common_name: str) -> tuple[str, str]:
    """A fresh RSA key and a self-signed certificate for it, PEM."""
    key, certificate = self_signed(common_name, days=3650)
    return key_pem(key), certificate.decode()


@dataclass
class Person:
    email: str
    first_name: str = "Ana"
    last_name: str = "Lima"
    groups: list[str] = field(default_factory=list)


ANA = Person(email="ana@example.com", first_name="Ana", last_name="Lima", groups=["sd-agents", "payments"])


@dataclass
class TestIdP:
    __test__ = False  # not a test class, whatever its name

    entity_id: str = "https://idp.example.test/metadata"
    sso_url: str = "https://idp.example.test/sso"
    people: list[Person] = field(default_factory=list)
    authn_context: str = PASSWORD_PROTECTED
    key: str = ""
    cert: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            self.key, self.cert = _idp_key_and_cert()

    def app(self, *, slug: str = "test-idp", name: str = "Test IdP", **settings) -> dict:
        """The allauth SAML app for this IdP, as SOCIALACCOUNT_PROVIDERS["saml"]["APPS"] (or a SocialApp) holds it."""
        idp = {"entity_id": self.entity_id, "sso_url": self.sso_url, "x509cert": self.cert}
        return {"provider_id": self.entity_id, "client_id": slug, "name": name, "settings": {"idp": idp, **settings}}

    def response(
        self,
        *,
        person: Person,
        acs_url: str,
        audience: str,
        in_response_to: str | None,
        authn_context: str | None = None,
        signed: bool = True,
        signing_key: tuple[str, str] | None = None,
        valid_for: timedelta = timedelta(minutes=5),
        issued_ago: timedelta = timedelta(0),
        more_attributes: dict[str, list[str]] | None = None,
    ) -> str:
        """A SAML Response (base64, as the HTTP-POST binding carries it) about `person`."""
        now = datetime.now(UTC) - issued_ago
        in_reply = f' InResponseTo="{in_response_to}"' if in_response_to else ""
        attributes = {
            "email": [person.email],
            "firstName": [person.first_name],
            "lastName": [person.last_name],
            GROUPS: person.groups,
            **(more_attributes or {}),
        }
        statements = "".join(
            f'<saml:Attribute Name="{html.escape(name)}" '
            'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">'
            + "".join(f"<saml:AttributeValue>{html.escape(v)}</saml:AttributeValue>" for v in values)
            + "</saml:Attribute>"
            for name, values in attributes.items()
            if values
        )
        assertion = f"""<saml:Assertion xmlns:saml="{SAML}" ID="_{uuid4().hex}" Version="2.0"
 IssueInstant="{_instant(now)}">
<saml:Issuer>{self.entity_id}</saml:Issuer>
<saml:Subject>
<saml:NameID Format="{EMAIL_FORMAT}">{html.escape(person.email)}</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
<saml:SubjectConfirmationData NotOnOrAfter="{_instant(now + valid_for)}" Recipient="{acs_url}"{in_reply}/>
</saml:SubjectConfirmation>
</saml:Subject>
<saml:Conditions NotBefore="{_instant(now - timedelta(minutes=1))}" NotOnOrAfter="{_instant(now + valid_for)}">
<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
</saml:Conditions>
<saml:AuthnStatement AuthnInstant="{_instant(now)}" SessionIndex="_{uuid4().hex}">
<saml:AuthnContext>
<saml:AuthnContextClassRef>{authn_context or self.authn_context}</saml:AuthnContextClassRef>
</saml:AuthnContext>
</saml:AuthnStatement>
<saml:AttributeStatement>{statements}</saml:AttributeStatement>
</saml:Assertion>"""
        if signed:
            key, cert = signing_key or (self.key, self.cert)
            assertion = OneLogin_Saml2_Utils.add_sign(assertion, key, cert).decode()
            assertion = assertion.removeprefix('<?xml version="1.0"?>').strip()
        response = f"""<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="_{uuid4().hex}" Version="2.0"
 IssueInstant="{_instant(now)}" Destination="{acs_url}"{in_reply}>
<saml:Issuer>{self.entity_id}</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
{assertion}
</samlp:Response>"""
        return b64encode(response.encode()).decode()

    def serve(self) -> "ServedIdP":
        """Run as an HTTP server on a free port of 127.0.0.1 until `stop()`; `sso_url` becomes its /sso."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.sso_url = f"http://127.0.0.1:{server.server_port}/sso"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        return ServedIdP(server, thread)


@dataclass
class ServedIdP:
    server: ThreadingHTTPServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def authn_request(redirect_url: str) -> tuple[dict, str]:
    """What the SP's HTTP-Redirect to the IdP carries: the AuthnRequest's ID, ACS URL and issuer, and RelayState."""
    query = parse_qs(urlparse(redirect_url).query)
    xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(query["SAMLRequest"][0])
    root = etree.fromstring(xml)
    issuer = root.find(f"{{{SAML}}}Issuer")
    request = {"id": root.get("ID"), "acs_url": root.get("AssertionConsumerServiceURL"), "issuer": issuer.text}
    return request, query.get("RelayState", [""])[0]


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _handler_for(idp: TestIdP) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            request, relay_state = authn_request(self.path)
            buttons = "".join(
                f'<form method="post" action="{html.escape(request["acs_url"])}">'
                f'<input type="hidden" name="SAMLResponse" value="{self._response(person, request)}">'
                f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
                f'<button type="submit">Sign in as {html.escape(person.email)}</button></form>'
                for person in idp.people
            )
            body = f"<!doctype html><title>Test IdP</title><h1>Test IdP: choose who signs in</h1>{buttons}"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body.encode())

        def _response(self, person: Person, request: dict) -> str:
            return idp.response(
                person=person, acs_url=request["acs_url"], audience=request["issuer"], in_response_to=request["id"]
            )

        def log_message(self, format, *args) -> None:
            pass  # quiet test output

    return Handler


# The SP side of a round trip


def portal_uses(settings, idp: TestIdP | None, **app_settings) -> None:
    """Make `idp` the portal's one SAML app from the environment (slug test-idp; none with None), as
    SOCIALACCOUNT_PROVIDERS holds it; SSO makes accounts for example.com."""
    saml = {**settings.SOCIALACCOUNT_PROVIDERS["saml"], "APPS": [idp.app(**app_settings)] if idp else []}
    settings.SOCIALACCOUNT_PROVIDERS = {**settings.SOCIALACCOUNT_PROVIDERS, "saml": saml}
    settings.SSO_SIGNUP_DOMAINS, settings.ACCOUNT_ALLOW_SIGNUP = ["example.com"], False


def saml_start(client, slug: str = "test-idp") -> dict:
    """Press "Continue with …" on the sign-in page: the AuthnRequest the SP sends the browser to the IdP with."""
    response = client.post(f"/accounts/saml/{slug}/login/", {"process": "login"})
    assert response.status_code == 302
    request, relay_state = authn_request(response["Location"])
    return request | {"relay_state": relay_state}


def saml_finish(client, request: dict, saml_response: str):
    """The IdP's page POSTs the Response to the ACS; allauth moves it to its finishing step and signs in."""
    response = client.post(request["acs_url"], {"SAMLResponse": saml_response, "RelayState": request["relay_state"]})
    assert response.status_code == 302
    return client.get(response["Location"])


def signed_response(idp: TestIdP, request: dict, person: Person = ANA, **knobs) -> str:
    """The IdP's signed answer to the SP's request (knobs: see TestIdP.response)."""
    return idp.response(
        person=person, acs_url=request["acs_url"], audience=request["issuer"], in_response_to=request["id"], **knobs
    )
