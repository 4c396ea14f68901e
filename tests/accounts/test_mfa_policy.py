"""REQUIRE_MFA=off|admins|staff|all, and an identity provider's MFA counting for SSO sign-ins when trusted."""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.mfa import idp_mfa_asserted
from accounts.roles import Role, user_set_role

from ..factories import UserFactory
from .saml_idp import PASSWORD_PROTECTED, REFEDS_MFA, portal_uses, saml_finish, saml_start, signed_response

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SET_UP_MFA = "/accounts/2fa/totp/activate/"


def sent_to_set_up_mfa(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(SET_UP_MFA)


@pytest.mark.parametrize(
    ("level", "role", "must_enrol"),
    [
        ("off", Role.ADMIN, False),
        ("admins", Role.ADMIN, True),
        ("admins", Role.MANAGER, False),
        ("staff", Role.AGENT, True),
        ("staff", Role.MANAGER, True),
        ("staff", Role.ADMIN, True),
        ("staff", Role.REQUESTER, False),
        ("all", Role.REQUESTER, True),
    ],
)
def test_who_must_set_up_mfa_before_anything_else(client, settings, level, role, must_enrol):
    settings.REQUIRE_MFA = level
    client.force_login(UserFactory(role=role))
    assert sent_to_set_up_mfa(client.get("/tickets/")) is must_enrol
    assert (client.get("/api/tickets/").status_code == 403) is must_enrol


@pytest.mark.parametrize("kind", [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN])
def test_an_authenticator_satisfies_the_requirement(client, settings, kind):
    settings.REQUIRE_MFA = "all"
    person = UserFactory(role=Role.REQUESTER)
    Authenticator.objects.create(user=person, type=kind, data={})
    client.force_login(person)
    assert client.get("/").status_code == 200


def test_the_page_to_set_it_up_stays_open(client, settings):
    settings.REQUIRE_MFA = "all"
    UserFactory(role=Role.REQUESTER, email="riya@example.com")
    response = client.post("/accounts/login/", {"login": "riya@example.com", "password": "pass-word-123"})
    assert sent_to_set_up_mfa(client.get(response["Location"]))
    confirm = client.get(SET_UP_MFA)  # allauth asks for the password again first
    assert confirm["Location"].startswith("/accounts/reauthenticate/")
    assert client.get(confirm["Location"]).status_code == 200


def test_the_requirement_adds_no_query_to_a_page_once_cached(client, settings):
    agent = UserFactory(role=Role.AGENT)
    Authenticator.objects.create(user=agent, type=Authenticator.Type.TOTP, data={})
    client.force_login(agent)
    counts = {}
    for level in ("off", "staff"):
        settings.REQUIRE_MFA = level
        client.get("/")  # enrolment is read once, then cached with the person's access facts
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        counts[level] = len(queries)
    assert counts["staff"] == counts["off"]


# The identity provider's MFA, through the test IdP


@pytest.fixture
def mfa_everyone(settings) -> None:
    settings.REQUIRE_MFA = "all"


@pytest.mark.parametrize(
    ("trusted", "authn_context", "counts"),
    [
        (True, REFEDS_MFA, True),
        (True, "http://schemas.microsoft.com/claims/multipleauthn", True),
        (True, PASSWORD_PROTECTED, False),  # the IdP asked for a password only
        (False, REFEDS_MFA, False),  # the admin does not take the IdP's word
    ],
)
def test_an_sso_sign_in_with_the_idps_mfa_counts_when_trusted(
    client, settings, idp, mfa_everyone, trusted, authn_context, counts
):
    settings.SSO_TRUST_IDP_MFA = trusted
    request = saml_start(client)
    saml_finish(client, request, signed_response(idp, request, authn_context=authn_context))
    response = client.get("/tickets/")
    assert (response.status_code == 200) is counts
    assert sent_to_set_up_mfa(response) is not counts


def test_an_sso_person_without_a_password_is_led_to_set_up_an_authenticator(client, idp, mfa_everyone):
    # given: Ana signed in through SSO without MFA; she has no password here
    request = saml_start(client)
    saml_finish(client, request, signed_response(idp, request, authn_context=PASSWORD_PROTECTED))
    assert sent_to_set_up_mfa(client.get("/tickets/"))
    # when: she opens the page to set it up
    response = client.get(SET_UP_MFA)
    # then: allauth first confirms it is her with a code sent to the address the IdP vouched for
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/code/")
    assert client.get(response["Location"]).status_code == 200


def test_entra_ids_mfa_attribute_counts_too(client, settings, idp, mfa_everyone):
    settings.SSO_TRUST_IDP_MFA = True
    methods = [
        "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password",
        "http://schemas.microsoft.com/claims/multipleauthn",
    ]
    request = saml_start(client)
    attributes = {"http://schemas.microsoft.com/claims/authnmethodsreferences": methods}
    saml_finish(
        client, request, signed_response(idp, request, authn_context=PASSWORD_PROTECTED, more_attributes=attributes)
    )
    assert client.get("/tickets/").status_code == 200


def test_trust_can_be_given_to_one_identity_provider(client, settings, idp, mfa_everyone):
    settings.SSO_TRUST_IDP_MFA = False
    portal_uses(settings, idp, trust_idp_mfa=True)
    request = saml_start(client)
    saml_finish(client, request, signed_response(idp, request, authn_context=REFEDS_MFA))
    assert client.get("/tickets/").status_code == 200


def test_the_idps_mfa_lasts_as_long_as_that_session(client, settings, idp, mfa_everyone):
    # given: Ana signed in through SSO with MFA, then signed out
    settings.SSO_TRUST_IDP_MFA = True
    request = saml_start(client)
    saml_finish(client, request, signed_response(idp, request, authn_context=REFEDS_MFA))
    ana = client.get("/").wsgi_request.user
    client.post("/accounts/logout/")
    # when: she signs in with a password instead
    ana.set_password("pass-word-123")
    ana.save()
    client.post("/accounts/login/", {"login": "ana@example.com", "password": "pass-word-123"})
    # then: this session has no MFA: she must set it up here
    assert sent_to_set_up_mfa(client.get("/tickets/"))


def test_an_api_token_needs_an_authenticator_whatever_the_idp_said(client, settings, idp, mfa_everyone):
    settings.SSO_TRUST_IDP_MFA = True
    request = saml_start(client)
    saml_finish(client, request, signed_response(idp, request, authn_context=REFEDS_MFA))
    ana = client.get("/").wsgi_request.user
    assert client.get("/api/tickets/").status_code == 200  # the session that used MFA
    token = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=ana).key}")
    assert token.get("/api/tickets/").status_code == 403  # a token is no session


def test_a_role_given_later_is_held_to_its_level(client, settings, idp):
    # given: staff must have MFA; Ana arrives as a requester, without it
    settings.REQUIRE_MFA = "staff"
    request = saml_start(client)
    saml_finish(client, request, signed_response(idp, request))
    assert client.get("/tickets/").status_code == 200
    # when: she is made an agent
    user_set_role(user=client.get("/").wsgi_request.user, role=Role.AGENT)
    # then: the next request sends her to set it up
    assert sent_to_set_up_mfa(client.get("/tickets/"))


@pytest.mark.parametrize(
    ("amr", "counts"),
    [(["pwd", "otp"], True), (["mfa"], True), (["hwk"], True), (["pwd"], False), (None, False)],
)
def test_oidc_says_mfa_in_the_id_tokens_amr(settings, amr, counts):
    settings.SSO_TRUST_IDP_MFA = False
    id_token = {"sub": "1", "amr": amr} if amr is not None else {"sub": "1"}
    login = SimpleNamespace(
        provider=SimpleNamespace(id="openid_connect", app=SimpleNamespace(settings={"trust_idp_mfa": True})),
        account=SimpleNamespace(extra_data={"userinfo": {"sub": "1"}, "id_token": id_token}),
    )
    assert idp_mfa_asserted(login) is counts


@pytest.mark.parametrize(
    ("environment", "level"),
    [({}, "off"), ({"REQUIRE_ADMIN_MFA": "true"}, "admins"), ({"REQUIRE_MFA": "staff"}, "staff")],
)
def test_the_level_comes_from_the_environment(environment, level):
    assert _settings_with(environment, "REQUIRE_MFA").stdout.strip() == level


def test_a_level_that_does_not_exist_stops_the_start():
    result = _settings_with({"REQUIRE_MFA": "sometimes"}, "REQUIRE_MFA")
    assert result.returncode != 0
    assert "use off, admins, staff or all" in result.stderr


def _settings_with(environment: dict, name: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("REQUIRE_MFA", "REQUIRE_ADMIN_MFA")} | environment
    env["DJANGO_SETTINGS_MODULE"] = "supportdesk.settings.test"
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
