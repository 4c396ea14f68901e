"""SAML 2.0 sign-in against the test IdP (tests/accounts/saml_idp.py), through the Django test client: the SP
redirects with an AuthnRequest, the IdP's signed Response is POSTed to the ACS, allauth signs the person in."""

import json
import os
import subprocess
import sys
from base64 import b64encode
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.auth import get_user_model

from accounts.roles import Role, user_role

from .saml_idp import ANA, GROUPS, Person, key_and_cert, portal_uses, saml_finish, saml_start, signed_response

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_the_sign_in_page_offers_the_identity_provider(client, idp):
    page = client.get("/accounts/login/").content.decode()
    assert "Continue with Test IdP" in page
    assert "/accounts/saml/test-idp/login/" in page


def test_a_new_person_from_the_organisations_domain_arrives_signed_in_with_the_assertions_name(client, idp):
    # given: the SP's AuthnRequest
    request = saml_start(client)
    assert request["acs_url"] == "http://localhost/accounts/saml/test-idp/acs/"
    # when: the IdP answers with a signed assertion about Ana
    response = saml_finish(client, request, signed_response(idp, request))
    # then: she has an account (a requester), with the name and email of the assertion, and is signed in
    assert response.status_code == 302 and response["Location"] == "/"
    ana = get_user_model().objects.get(email="ana@example.com")
    assert (ana.first_name, ana.last_name, user_role(ana)) == ("Ana", "Lima", Role.REQUESTER)
    assert client.get("/").status_code == 200
    # and: every attribute reaches the social account as allauth keeps them (name -> list of values)
    account = SocialAccount.objects.get(user=ana)
    assert account.provider == idp.entity_id and account.uid == "ana@example.com"
    assert account.extra_data[GROUPS] == ["sd-agents", "payments"]
    assert account.extra_data["email"] == ["ana@example.com"]
    assert EmailAddress.objects.get(user=ana).verified  # the organisation's IdP vouches for it


def test_a_person_who_signed_in_before_comes_back_to_the_same_account(client, idp):
    saml_finish(client, request := saml_start(client), signed_response(idp, request))
    client.post("/accounts/logout/")
    saml_finish(client, request := saml_start(client), signed_response(idp, request))
    assert client.get("/").status_code == 200
    assert get_user_model().objects.filter(email="ana@example.com").count() == 1
    assert SocialAccount.objects.count() == 1


def test_someone_from_another_domain_gets_no_account(client, idp):
    request = saml_start(client)
    response = saml_finish(client, request, signed_response(idp, request, person=Person(email="eve@elsewhere.org")))
    assert b"closed" in response.content.lower()
    assert not get_user_model().objects.filter(email="eve@elsewhere.org").exists()
    assert client.get("/").status_code == 302  # to the sign-in page


@pytest.mark.parametrize(
    "knobs",
    [
        pytest.param({"signed": False}, id="unsigned"),
        pytest.param({"signing_key": "other"}, id="forged"),
        pytest.param({"issued_ago": timedelta(minutes=10)}, id="expired"),
        pytest.param({"audience": "https://someone-else.example.org/"}, id="wrong-audience"),
    ],
)
def test_a_response_that_does_not_hold_up_is_refused_with_a_page_that_says_so(client, idp, knobs):
    if knobs.get("signing_key") == "other":
        knobs["signing_key"] = key_and_cert("Not the IdP")  # right names, someone else's key
    request = saml_start(client)
    if "audience" in knobs:
        saml_response = idp.response(
            person=ANA, acs_url=request["acs_url"], in_response_to=request["id"], audience=knobs["audience"]
        )
    else:
        saml_response = signed_response(idp, request, **knobs)
    response = saml_finish(client, request, saml_response)
    assert response.status_code == 401
    assert "could not sign you in" in response.content.decode()
    assert client.get("/").status_code == 302
    assert not get_user_model().objects.filter(email="ana@example.com").exists()


def test_a_replayed_response_is_refused(client, idp):
    # given: a sign-in that worked, then a sign-out
    request = saml_start(client)
    saml_response = signed_response(idp, request)
    saml_finish(client, request, saml_response)
    client.post("/accounts/logout/")
    # when: the same Response is posted again
    response = saml_finish(client, request, saml_response)
    # then: refused, with the sign-in page's way back; nobody is signed in
    assert response.status_code == 401
    assert "did not start, or one already finished" in response.content.decode()
    assert client.get("/").status_code == 302


def test_a_response_nobody_asked_for_is_refused(client, idp):
    # IdP-initiated sign-in (no InResponseTo): nothing ties it to this browser
    request = saml_start(client)
    saml_response = idp.response(
        person=ANA, acs_url=request["acs_url"], audience=request["issuer"], in_response_to=None
    )
    response = saml_finish(client, request, saml_response)
    assert response.status_code == 401
    assert client.get("/").status_code == 302


XXE = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:Response>&x;</samlp:Response>'


@pytest.mark.parametrize("body", ["not xml", XXE, "<samlp:Response"], ids=["not-xml", "dtd", "truncated"])
def test_garbage_at_the_acs_is_a_clear_refusal(client, idp, body):
    request = saml_start(client)
    response = saml_finish(client, request, b64encode(body.encode()).decode())
    assert response.status_code == 401
    assert "could not sign you in" in response.content.decode()


def test_the_sp_metadata_is_served_for_the_idp_admin(client, idp):
    response = client.get("/accounts/saml/test-idp/metadata/")
    assert response.status_code == 200
    metadata = response.content.decode()
    assert 'entityID="http://localhost/accounts/saml/test-idp/metadata/"' in metadata
    assert 'Location="http://localhost/accounts/saml/test-idp/acs/"' in metadata
    assert 'WantAssertionsSigned="true"' in metadata


def test_an_app_that_does_not_ask_for_signed_assertions_gets_them_required(client, idp, settings):
    portal_uses(settings, idp, advanced={"want_assertion_signed": False, "strict": False})
    request = saml_start(client)
    assert saml_finish(client, request, signed_response(idp, request, signed=False)).status_code == 401


def test_an_identity_provider_set_up_in_the_admin_works_the_same(client, idp, settings):
    # given: no app from the environment, one SocialApp made in the admin
    portal_uses(settings, None)
    app = idp.app(slug="acme", name="Acme SSO")
    SocialApp.objects.create(provider="saml", **app)
    # when
    request = saml_start(client, slug="acme")
    response = saml_finish(client, request, signed_response(idp, request))
    # then
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_an_admin_created_person_keeps_their_role_when_signing_in_again(client, idp):
    # given: Ana arrived once through SSO, then an admin made her an agent
    saml_finish(client, request := saml_start(client), signed_response(idp, request))
    client.post("/accounts/logout/")
    from accounts.roles import user_set_role

    user_set_role(user=get_user_model().objects.get(email="ana@example.com"), role=Role.AGENT)
    # when she signs in again
    saml_finish(client, request := saml_start(client), signed_response(idp, request))
    # then
    assert user_role(get_user_model().objects.get(email="ana@example.com")) == Role.AGENT


def test_the_environment_configures_one_identity_provider():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test",
        "SAML_IDP_ENTITY_ID": "http://www.okta.com/exk1",
        "SAML_IDP_SSO_URL": "https://example.okta.com/app/x/sso/saml",
        "SAML_IDP_X509_CERT": "MIIC...",
        "SAML_IDP_NAME": "Okta",
        "SAML_SP_ENTITY_ID": "https://support.example.com/saml",
        "SAML_ATTRIBUTE_MAPPING": '{"email": ["mail"]}',
    }
    code = "from django.conf import settings; import json; print(json.dumps(settings.SOCIALACCOUNT_PROVIDERS['saml']))"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    saml = json.loads(out)
    assert saml["provider_class"] == "accounts.saml.SAMLProvider"
    assert saml["APPS"] == [
        {
            "provider_id": "http://www.okta.com/exk1",
            "client_id": "sso",
            "name": "Okta",
            "settings": {
                "idp": {
                    "entity_id": "http://www.okta.com/exk1",
                    "sso_url": "https://example.okta.com/app/x/sso/saml",
                    "x509cert": "MIIC...",
                },
                "sp": {"entity_id": "https://support.example.com/saml"},
                "attribute_mapping": {"email": ["mail"]},
            },
        }
    ]


def test_a_request_without_a_host_header_gets_the_identity_provider_not_a_500(client, idp):
    # HTTP/1.0 allows leaving the header out: the SP builds its request from the host Django settled on
    del client.defaults["HTTP_HOST"]
    client.defaults["SERVER_NAME"] = "localhost"  # the server's own name, as gunicorn passes it
    response = client.post("/accounts/saml/test-idp/login/", {"process": "login"})
    assert response.status_code == 302 and response["Location"].startswith(idp.sso_url)
