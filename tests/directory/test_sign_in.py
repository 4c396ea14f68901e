"""An OIDC sign-in, as a browser and the identity provider make it (the IdP's endpoints answered by `responses`):
each sign-in sets the person's roles and queues from the groups claim."""

from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role, user_role
from directory.models import DirectoryChange, DirectoryGroup, DirectoryUser, IdentityGroupMapping
from tickets.models import QueueMember

from ..factories import QueueFactory

pytestmark = pytest.mark.django_db

IDP = "https://idp.example.test/oauth2/default"


@pytest.fixture
def okta(settings):
    settings.SSO_SIGNUP_DOMAINS = ["example.com"]
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "okta",
                    "name": "Okta",
                    "client_id": "0oa1client",
                    "secret": "client-secret",
                    "settings": {"server_url": IDP},
                }
            ]
        }
    }


def sign_in(client, userinfo: dict) -> str:
    """The authorization code flow: the portal's redirect to Okta, Okta's back with a code; the portal then asks
    Okta's token and userinfo endpoints (Okta's documented shapes)."""
    with responses.RequestsMock() as idp:
        idp.get(
            f"{IDP}/.well-known/openid-configuration",
            json={
                "issuer": IDP,
                "authorization_endpoint": f"{IDP}/v1/authorize",
                "token_endpoint": f"{IDP}/v1/token",
                "userinfo_endpoint": f"{IDP}/v1/userinfo",
                "jwks_uri": f"{IDP}/v1/keys",
            },
        )
        idp.post(
            f"{IDP}/v1/token",
            json={"token_type": "Bearer", "expires_in": 3600, "access_token": "eyJraWQiOi.access", "scope": "openid"},
        )
        idp.get(f"{IDP}/v1/userinfo", json=userinfo)
        started = client.post(reverse("openid_connect_login", kwargs={"provider_id": "okta"}))
        assert started.status_code == 302, started
        state = parse_qs(urlparse(started["Location"]).query)["state"][0]
        callback = reverse("openid_connect_callback", kwargs={"provider_id": "okta"})
        done = client.get(callback, {"code": "okta-code", "state": state})
        assert done.status_code == 302, done
        return done["Location"]  # "/" when signed in


def userinfo(groups: list[str] | None) -> dict:
    info = {
        "sub": "00u1ana",
        "email": "ana@example.com",
        "email_verified": True,
        "given_name": "Ana",
        "family_name": "Ng",
    }
    return info if groups is None else {**info, "groups": groups}


def test_each_sso_sign_in_sets_roles_and_queues_from_the_groups_claim(client, okta):
    # given: Okta's "Support Agents" work the Platform queue
    platform = QueueFactory(name="Platform")
    IdentityGroupMapping.objects.create(idp_group="Support Agents", role=Role.AGENT).queues.set([platform])
    # when: Ana signs in for the first time, in the group
    assert sign_in(client, userinfo(["Everyone", "Support Agents"])) == "/"
    ana = User.objects.get(email="ana@example.com")
    # then
    assert user_role(ana) == Role.AGENT
    assert QueueMember.objects.filter(user=ana, queue=platform).exists()
    assert client.get(reverse("home")).status_code == 200
    # when: she was taken out of the group, and signs in again
    client.logout()
    assert sign_in(client, userinfo(["Everyone"])) == "/"
    # then
    assert user_role(User.objects.get(pk=ana.pk)) == Role.REQUESTER
    assert not QueueMember.objects.filter(user=ana).exists()
    assert [c.source for c in DirectoryChange.objects.filter(user=ana)] == ["sign-in through okta"] * 2


def test_a_sign_in_without_the_claim_keeps_the_groups_scim_pushed(client, okta):
    # given: Ana was provisioned by SCIM into "Support Agents"; the IdP sends no groups claim
    IdentityGroupMapping.objects.create(idp_group="Support Agents", role=Role.AGENT)
    ana = User.objects.create_user(email="ana@example.com")
    DirectoryUser.objects.create(user=ana, user_name="ana@example.com")
    DirectoryGroup.objects.create(display_name="Support Agents").members.set([ana])
    # when
    assert sign_in(client, userinfo(None)) == "/"
    # then
    assert user_role(User.objects.get(pk=ana.pk)) == Role.AGENT
    assert User.objects.filter(email="ana@example.com").count() == 1  # her SSO account joined SCIM's


def test_an_unverified_email_does_not_take_over_the_account_scim_made(client, okta):
    ana = User.objects.create_user(email="ana@example.com")
    DirectoryUser.objects.create(user=ana, user_name="ana@example.com")
    # sent to sign up, where the address is taken
    assert sign_in(client, {**userinfo(None), "email_verified": False}) == reverse("socialaccount_signup")
    assert not ana.socialaccount_set.exists()


def test_a_password_sign_in_changes_nothing(client):
    IdentityGroupMapping.objects.create(idp_group="Support Agents", role=Role.AGENT)
    person = User.objects.create_user(email="pat@example.com", password="a-long-pass-phrase-42")
    response = client.post(reverse("account_login"), {"login": "pat@example.com", "password": "a-long-pass-phrase-42"})
    assert response.status_code == 302
    assert not DirectoryChange.objects.filter(user=person).exists()
