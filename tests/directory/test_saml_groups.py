"""A SAML sign-in through the test IdP (tests/accounts/saml_idp.py) carries the person's groups in an attribute;
the directory's mappings turn them into a role and queues at each sign-in, and take them back when the group goes."""

import pytest

from accounts.models import User
from accounts.roles import Role, user_role
from directory.models import DirectoryChange, IdentityGroupMapping
from tickets.models import QueueMember

from ..accounts.saml_idp import ANA, GROUPS, Person, TestIdP, portal_uses, saml_finish, saml_start, signed_response
from ..factories import QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def idp(settings, client) -> TestIdP:
    test_idp = TestIdP(people=[ANA])
    portal_uses(settings, test_idp)
    settings.SSO_SAML_GROUPS_ATTRIBUTE = GROUPS  # Entra ID's attribute name, as the test IdP sends it
    client.defaults["HTTP_HOST"] = "localhost"  # as browsers send it (python3-saml reads the header)
    return test_idp


def sign_in(client, idp: TestIdP, person: Person) -> None:
    request = saml_start(client)
    response = saml_finish(client, request, signed_response(idp, request, person=person))
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_groups_attribute_of_each_saml_sign_in_sets_role_and_queues(client, idp):
    # given: the IdP's "sd-agents" work the Payments queue
    payments = QueueFactory(name="Payments")
    IdentityGroupMapping.objects.create(idp_group="sd-agents", role=Role.AGENT).queues.set([payments])
    # when: Ana signs in, a member of sd-agents
    sign_in(client, idp, ANA)
    ana = User.objects.get(email=ANA.email)
    # then: she is an agent of Payments
    assert user_role(ana) == Role.AGENT
    assert QueueMember.objects.filter(user=ana, queue=payments).exists()
    # when: the IdP took her out of sd-agents, and she signs in again
    client.post("/accounts/logout/")
    sign_in(client, idp, Person(email=ANA.email, groups=["payments"]))
    # then: the role and the queue are gone, and the directory says why
    assert user_role(User.objects.get(pk=ana.pk)) == Role.REQUESTER
    assert not QueueMember.objects.filter(user=ana).exists()
    assert DirectoryChange.objects.filter(user=ana).count() == 2
