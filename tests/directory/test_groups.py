"""IdP groups give roles and queues: exactly what the current groups map to, never taking what was given by hand."""

import pytest
from django.urls import reverse

from accounts.roles import Role, user_role, user_set_role
from directory.models import DirectoryChange, IdentityGroupMapping, IdpGrant
from directory.services import identity_groups_apply, sign_in_groups
from tickets.models import QueueMember

from ..factories import QueueFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


def mapping(group: str, role: str = "", queues=(), provider: str = "", enabled: bool = True) -> IdentityGroupMapping:
    row = IdentityGroupMapping.objects.create(idp_group=group, role=role, provider=provider, enabled=enabled)
    row.queues.set(queues)
    return row


def fresh(user):
    return type(user).objects.get(pk=user.pk)


def queue_ids(user) -> set[int]:
    return set(QueueMember.objects.filter(user=user).values_list("queue_id", flat=True))


def test_a_mapped_group_makes_an_agent_of_its_queue_who_then_sees_its_tickets(client):
    # given: "Support Agents" works the Platform queue
    platform = QueueFactory(name="Platform")
    mapping("Support Agents", Role.AGENT, [platform])
    person = UserFactory(role=Role.REQUESTER)
    ticket = TicketFactory(queue=platform)
    client.force_login(person)
    assert client.get(ticket.get_absolute_url()).status_code == 404
    # when
    change = identity_groups_apply(user=person, groups=["Support Agents", "Everyone"], source="sign-in through okta")
    # then: the role and the queue, at once (the access cache follows), and a record of it
    assert user_role(fresh(person)) == Role.AGENT
    assert queue_ids(person) == {platform.pk}
    assert client.get(ticket.get_absolute_url()).status_code == 200
    assert change is not None
    assert change.granted == ["role agent", "queue Platform"]
    assert DirectoryChange.objects.get(user=person).source == "sign-in through okta"


def test_leaving_the_group_takes_the_role_and_queue_away(client):
    platform = QueueFactory(name="Platform")
    mapping("Support Agents", Role.AGENT, [platform])
    person = UserFactory(role=Role.REQUESTER)
    identity_groups_apply(user=person, groups=["Support Agents"], source="sign-in")
    ticket = TicketFactory(queue=platform)
    client.force_login(person)
    assert client.get(ticket.get_absolute_url()).status_code == 200
    # when: the next sign-in carries other groups
    change = identity_groups_apply(user=person, groups=["Everyone"], source="sign-in")
    # then
    assert user_role(fresh(person)) == Role.REQUESTER
    assert queue_ids(person) == set()
    assert change.revoked == ["role agent", "queue Platform"]
    assert client.get(ticket.get_absolute_url()).status_code == 404
    assert not IdpGrant.objects.filter(user=person).exists()


def test_what_was_given_by_hand_stays_when_the_group_goes():
    # given: a manager by hand, who already works Platform, and Billing through the IdP
    platform, billing = QueueFactory(name="Platform"), QueueFactory(name="Billing")
    mapping("Support Managers", Role.MANAGER, [platform, billing])
    person = UserFactory(role=Role.MANAGER)
    QueueMember.objects.create(queue=platform, user=person)
    change = identity_groups_apply(user=person, groups=["Support Managers"], source="sign-in")
    assert change.granted == ["queue Billing"]  # the role and Platform were theirs already
    # when
    identity_groups_apply(user=person, groups=[], source="sign-in")
    # then
    assert user_role(fresh(person)) == Role.MANAGER
    assert queue_ids(person) == {platform.pk}


def test_a_role_taken_by_hand_comes_back_with_the_next_sign_in_and_goes_with_the_group():
    mapping("Support Agents", Role.AGENT)
    person = UserFactory(role=Role.REQUESTER)
    identity_groups_apply(user=person, groups=["Support Agents"], source="sign-in")
    user_set_role(user=fresh(person), role=Role.REQUESTER)  # an admin's change in the admin
    identity_groups_apply(user=person, groups=["Support Agents"], source="sign-in")
    assert user_role(fresh(person)) == Role.AGENT
    identity_groups_apply(user=person, groups=[], source="sign-in")
    assert user_role(fresh(person)) == Role.REQUESTER


def test_the_admin_role_opens_the_django_admin_and_closes_it_when_the_group_goes(client):
    mapping("Supportdesk Admins", Role.ADMIN)
    person = UserFactory(role=Role.REQUESTER)
    identity_groups_apply(user=person, groups=["Supportdesk Admins"], source="sign-in")
    client.force_login(fresh(person))
    assert client.get(reverse("admin:index")).status_code == 200
    identity_groups_apply(user=person, groups=[], source="sign-in")
    assert (fresh(person).is_staff, fresh(person).is_superuser) == (False, False)
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_superuser_made_by_hand_stays_one():
    mapping("Supportdesk Admins", Role.ADMIN)
    person = UserFactory(role=Role.ADMIN, is_superuser=True)
    identity_groups_apply(user=person, groups=["Supportdesk Admins"], source="sign-in")
    identity_groups_apply(user=person, groups=[], source="sign-in")
    assert fresh(person).is_superuser


def test_disabled_and_other_providers_mappings_grant_nothing():
    mapping("Support Agents", Role.AGENT, enabled=False)
    mapping("Support Managers", Role.MANAGER, provider="entra")
    person = UserFactory(role=Role.REQUESTER)
    change = identity_groups_apply(
        user=person, groups=["Support Agents", "Support Managers"], source="sign-in", provider="okta"
    )
    assert change is None
    assert user_role(fresh(person)) == Role.REQUESTER
    identity_groups_apply(user=person, groups=["Support Managers"], source="sign-in", provider="entra")
    assert user_role(fresh(person)) == Role.MANAGER


def test_the_same_groups_again_change_and_record_nothing():
    mapping("Support Agents", Role.AGENT, [QueueFactory()])
    person = UserFactory(role=Role.REQUESTER)
    identity_groups_apply(user=person, groups=["Support Agents"], source="sign-in")
    assert identity_groups_apply(user=person, groups=["Support Agents"], source="sign-in") is None
    assert DirectoryChange.objects.filter(user=person).count() == 1


@pytest.mark.parametrize("mappings", [1, 8])
def test_applying_takes_the_same_queries_however_many_mappings_match(mappings, django_assert_max_num_queries):
    for n in range(mappings):
        mapping(f"g{n}", Role.AGENT, [QueueFactory(), QueueFactory()])
    person = UserFactory(role=Role.REQUESTER)
    with django_assert_max_num_queries(16):
        identity_groups_apply(user=person, groups=[f"g{n}" for n in range(mappings)], source="sign-in")
    assert len(queue_ids(person)) == 2 * mappings


# What a sign-in's claims say, as allauth keeps them in SocialAccount.extra_data


def test_oidc_groups_come_from_the_userinfo_or_the_id_token():
    extra = {"userinfo": {"sub": "00u1", "groups": ["Everyone"]}, "id_token": {"groups": ["Support Agents"]}}
    assert sign_in_groups(extra) == {"Everyone", "Support Agents"}


def test_a_single_group_may_come_as_a_string():
    assert sign_in_groups({"id_token": {"groups": "Support Agents"}}) == {"Support Agents"}


def test_saml_groups_come_from_the_attribute_entra_id_sends(settings):
    # python3-saml's get_attributes(): every attribute a list; Entra ID names its groups by object id
    settings.SSO_SAML_GROUPS_ATTRIBUTE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
    extra = {
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": ["ana@example.com"],
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups": [
            "6a7f9c0e-1b2d-4c3e-8f9a-0b1c2d3e4f5a",
            "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
        ],
    }
    assert sign_in_groups(extra) == {"6a7f9c0e-1b2d-4c3e-8f9a-0b1c2d3e4f5a", "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}


def test_claims_without_groups_say_nothing():
    assert sign_in_groups({"userinfo": {"sub": "00u1", "email": "ana@example.com"}}) is None
