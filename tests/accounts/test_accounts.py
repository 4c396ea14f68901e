import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.roles import Role, user_role, user_set_role

from ..factories import QueueFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_new_people_are_requesters():
    user = get_user_model().objects.create_user("new@example.com", "pass-word-123")
    assert user_role(user) == Role.REQUESTER


def test_sign_in_with_email_and_password(client):
    UserFactory(email="riya@example.com")
    response = client.post("/accounts/login/", {"login": "riya@example.com", "password": "pass-word-123"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_the_sign_in_page_offers_the_password_reset_once(client):
    page = client.get("/accounts/login/").content.decode()
    assert page.count("/accounts/password/reset/") == 1


def test_wrong_password_says_so_and_stays_signed_out(client):
    UserFactory(email="riya@example.com")
    response = client.post("/accounts/login/", {"login": "riya@example.com", "password": "nope"})
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert client.get("/").status_code == 302


def test_signup_is_closed_by_default(client):
    response = client.get("/accounts/signup/")
    assert b"closed" in response.content.lower()


def test_losing_a_role_takes_effect_on_the_next_request(client):
    # given: an agent who sees their queue's tickets (and has the access cached)
    agent = UserFactory(role=Role.AGENT)
    ticket = TicketFactory(queue=QueueFactory(members=[agent]))
    client.force_login(agent)
    assert client.get(ticket.get_absolute_url()).status_code == 200
    # when: an admin makes them a requester
    user_set_role(user=agent, role=Role.REQUESTER)
    # then: the ticket is gone for them at once
    assert client.get(ticket.get_absolute_url()).status_code == 404


def test_leaving_a_queue_takes_effect_on_the_next_request(client):
    agent = UserFactory(role=Role.AGENT)
    queue = QueueFactory(members=[agent])
    ticket = TicketFactory(queue=queue)
    client.force_login(agent)
    assert client.get(ticket.get_absolute_url()).status_code == 200
    queue.members.remove(agent)
    assert client.get(ticket.get_absolute_url()).status_code == 404


def test_new_api_token_replaces_the_old_one(client):
    user = UserFactory()
    client.force_login(user)
    client.post("/profile/")
    first = client.session.get("fresh_api_token") or _shown_token(client)
    client.post("/profile/")
    second = _shown_token(client)
    assert first != second
    api = APIClient()
    assert api.get("/api/tickets/", HTTP_AUTHORIZATION=f"Token {first}").status_code == 401
    assert api.get("/api/tickets/", HTTP_AUTHORIZATION=f"Token {second}").status_code == 200


def _shown_token(client) -> str:
    page = client.get("/profile/").content.decode()
    return page.split('<code id="api-token">')[1].split("</code>")[0]


@pytest.mark.parametrize("path", ["/", "/tickets/", "/admin/"])
def test_admin_without_mfa_must_enrol_first_when_required(client, settings, path):
    settings.REQUIRE_MFA = "admins"
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate")


def test_admin_with_an_authenticator_app_goes_through(client, settings):
    settings.REQUIRE_MFA = "admins"
    admin = UserFactory(role=Role.ADMIN)
    Authenticator.objects.create(user=admin, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(admin)
    assert client.get("/").status_code == 200


def test_mfa_requirement_leaves_other_roles_alone(client, settings):
    settings.REQUIRE_MFA = "admins"
    client.force_login(UserFactory(role=Role.AGENT))
    assert client.get("/").status_code == 200


def test_mfa_not_required_unless_configured(client, settings):
    settings.REQUIRE_MFA = "off"
    client.force_login(UserFactory(role=Role.ADMIN))
    assert client.get("/").status_code == 200


def test_admin_role_reaches_configuration_and_others_do_not(client):
    admin, manager = UserFactory(role=Role.ADMIN), UserFactory(role=Role.MANAGER)
    client.force_login(admin)
    assert client.get("/admin/tickets/severity/").status_code == 200
    client.force_login(manager)
    assert client.get("/admin/tickets/severity/").status_code == 302  # to the sign-in page: not staff


def test_deactivating_someone_signs_them_out_at_once(client):
    person = UserFactory()
    client.force_login(person)
    assert client.get("/").status_code == 200
    person.is_active = False
    person.save()
    assert client.get("/").status_code == 302  # to the sign-in page


def test_a_password_change_elsewhere_ends_this_session(client):
    person = UserFactory()
    client.force_login(person)
    assert client.get("/").status_code == 200
    person.set_password("a-whole-new-password-42")
    person.save()
    assert client.get("/").status_code == 302


def test_a_deleted_token_stops_working_at_once():
    person = UserFactory()
    token = Token.objects.create(user=person)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/tickets/").status_code == 200
    token.delete()
    assert api.get("/api/tickets/").status_code == 401


@pytest.mark.parametrize(
    ("email", "domains", "allowed"),
    [
        ("ana@example.com", ["example.com"], True),
        ("eve@gmail.com", ["example.com"], False),
        ("ana@example.com", [], False),
    ],
)
def test_sso_makes_accounts_only_for_the_organisations_domains(settings, email, domains, allowed):
    from types import SimpleNamespace

    from accounts.adapters import SocialAccountAdapter

    settings.SSO_SIGNUP_DOMAINS, settings.ACCOUNT_ALLOW_SIGNUP = domains, False
    login = SimpleNamespace(user=SimpleNamespace(email=email))
    assert SocialAccountAdapter().is_open_for_signup(None, login) is allowed


def test_the_admin_pages_carry_the_portals_icon(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page and "Supportdesk administration" in page


@pytest.mark.parametrize("signed_in_by", ["token", "session"])
def test_admin_without_mfa_is_refused_by_the_api_when_required(client, settings, signed_in_by):
    settings.REQUIRE_MFA = "admins"
    admin = UserFactory(role=Role.ADMIN)
    api = APIClient()
    if signed_in_by == "token":
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    else:
        api.force_login(admin)
    response = api.get("/api/tickets/")
    assert response.status_code == 403
    assert "authenticator app" in response.json()["detail"]


def test_admin_with_an_authenticator_app_uses_the_api_with_a_token(settings):
    settings.REQUIRE_MFA = "admins"
    admin = UserFactory(role=Role.ADMIN)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    assert api.get("/api/tickets/").status_code == 403
    Authenticator.objects.create(user=admin, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert api.get("/api/tickets/").status_code == 200  # enrolment counts at once, though refusal was cached


def test_a_demoted_superuser_keeps_no_power_and_no_admin_badge(client):
    admin = get_user_model().objects.create_superuser("root@example.com", "pass-word-123")
    user_set_role(user=admin, role=Role.AGENT)
    admin.refresh_from_db()
    assert (admin.is_superuser, admin.is_staff) == (False, False)
    assert user_role(admin) == Role.AGENT
    client.force_login(admin)
    assert client.get("/admin/").status_code == 302
    assert not get_user_model().objects.get(pk=admin.pk).has_perm("tickets.view_all_tickets")


def test_the_admin_role_is_a_superuser_as_the_seeded_admin_is():
    person = UserFactory(role=Role.AGENT)
    user_set_role(user=person, role=Role.ADMIN)
    person.refresh_from_db()
    assert (person.is_superuser, person.is_staff) == (True, True)
