"""SCIM 2.0 as Okta and Entra ID speak it (their documented requests: Okta's SCIM 2.0 provisioning guide, Microsoft's
"Tutorial: Develop a sample SCIM endpoint" request/response examples), each change at once."""

import json

import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.roles import Role, user_role
from directory.models import DirectoryChange, DirectoryGroup, DirectoryUser, IdentityGroupMapping
from directory.services import scim_token_create
from tickets.models import QueueMember

from ..factories import QueueFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db

SCIM = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Idp:
    """An IdP's SCIM client: its bearer token on every request."""

    def __init__(self, client, key: str) -> None:
        self.client, self.key = client, key

    def __call__(self, method: str, path: str, body: dict | None = None, **query):
        url = f"/scim/v2/{path}"
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {self.key}"}
        if method == "get":
            return self.client.get(url, query, **kwargs)
        data = json.dumps(body) if body is not None else ""
        return getattr(self.client, method)(url, data, content_type=SCIM, **kwargs)


@pytest.fixture
def idp(client):
    _, key = scim_token_create(name="Okta production", provider="okta")
    return Idp(client, key)


def okta_user(email: str = "ana@example.com", **more) -> dict:
    # Okta's POST /Users body
    return {
        "schemas": [USER],
        "userName": email,
        "name": {"givenName": "Ana", "familyName": "Ng"},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": "Ana Ng",
        "locale": "en-US",
        "externalId": "00u1ana",
        "groups": [],
        "password": "ignored-1234",
        "active": True,
        **more,
    }


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def agents():
    """Okta's "Support Agents" group works the Platform queue as agents."""
    platform = QueueFactory(name="Platform")
    IdentityGroupMapping.objects.create(idp_group="Support Agents", role=Role.AGENT).queues.set([platform])
    return platform


def provisioned(idp, email: str = "ana@example.com") -> str:
    response = idp("post", "Users", okta_user(email))
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_no_token_or_a_wrong_one_is_a_401_in_scims_words(client, idp):
    assert client.get("/scim/v2/Users").status_code == 401
    response = client.get("/scim/v2/Users", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401
    assert response["Content-Type"] == SCIM
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_okta_checks_the_user_is_new_then_creates_them(idp):
    # Okta first asks whether the userName exists
    found = idp("get", "Users", filter='userName eq "ana@example.com"', startIndex=1, count=100)
    assert found.status_code == 200
    assert found["Content-Type"] == SCIM
    assert found.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }
    created = idp("post", "Users", okta_user())
    assert created.status_code == 201
    body = created.json()
    ana = User.objects.get(email="ana@example.com")
    assert body["id"] == str(ana.pk)
    assert body["userName"] == "ana@example.com"
    assert body["active"] is True
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{ana.pk}")
    assert (ana.first_name, ana.last_name, ana.has_usable_password()) == ("Ana", "Ng", False)
    assert user_role(ana) == Role.REQUESTER
    again = idp("get", "Users", filter='userName eq "ANA@example.com"')  # userName is not case-exact
    assert again.json()["totalResults"] == 1
    assert again.json()["Resources"][0]["emails"][0]["value"] == "ana@example.com"


def test_the_same_user_twice_is_a_409(idp):
    provisioned(idp)
    response = idp("post", "Users", okta_user())
    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"


def test_someone_already_here_is_taken_over_not_duplicated(idp):
    pat = UserFactory(email="pat@example.com", role=Role.MANAGER)
    assert idp("post", "Users", okta_user("pat@example.com")).json()["id"] == str(pat.pk)
    assert user_role(fresh(pat)) == Role.MANAGER


def test_entra_deactivates_with_a_capitalised_replace_and_the_string_false(client, idp, agents):
    # given: Ana, an agent through her group, signed in, with an API token
    ana_id = provisioned(idp)
    group = idp("post", "Groups", {"schemas": [GROUP], "displayName": "Support Agents", "members": [{"value": ana_id}]})
    assert group.status_code == 201
    ana = User.objects.get(pk=ana_id)
    token = Token.objects.create(user=ana)
    client.force_login(ana)
    ticket = TicketFactory(queue=agents)
    assert client.get(ticket.get_absolute_url()).status_code == 200
    # when: Entra ID's PATCH
    body = {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    response = idp("patch", f"Users/{ana_id}", body)
    # then: at once, signed out, token gone, the IdP's role and queue taken back
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert client.get(ticket.get_absolute_url()).status_code == 302  # to the sign-in page
    assert not Token.objects.filter(key=token.key).exists()
    ana = fresh(ana)
    assert (ana.is_active, user_role(ana)) == (False, Role.REQUESTER)
    assert not QueueMember.objects.filter(user=ana).exists()
    assert DirectoryChange.objects.filter(user=ana, note="deactivated").get().revoked == [
        "role agent",
        "queue Platform",
    ]
    # and back: reactivated, the group gives the role again; the old session stays ended
    body = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": True}}]}  # Okta's shape
    assert idp("patch", f"Users/{ana_id}", body).json()["active"] is True
    assert user_role(fresh(ana)) == Role.AGENT
    assert client.get(ticket.get_absolute_url()).status_code == 302


def test_entra_updates_attributes_by_path_and_ignores_what_it_keeps_elsewhere(idp):
    ana_id = provisioned(idp)
    body = {
        "schemas": [PATCH],
        "Operations": [
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "ana.ng@example.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Ng-Smith"},
            {
                "op": "Add",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "value": "Ops",
            },
            {"op": "Replace", "path": "externalId", "value": "3f2b9c1e-entra"},
        ],
    }
    response = idp("patch", f"Users/{ana_id}", body)
    assert response.status_code == 200, response.content
    ana = User.objects.get(pk=ana_id)
    assert (ana.email, ana.last_name) == ("ana.ng@example.com", "Ng-Smith")
    assert DirectoryUser.objects.get(user=ana).external_id == "3f2b9c1e-entra"


def test_okta_replaces_the_whole_user_with_put(idp):
    ana_id = provisioned(idp)
    response = idp("put", f"Users/{ana_id}", okta_user(name={"givenName": "Anna", "familyName": "Ng"}, active=False))
    assert response.status_code == 200
    ana = User.objects.get(pk=ana_id)
    assert (ana.first_name, ana.is_active) == ("Anna", False)


def test_delete_deactivates_and_the_user_is_gone_from_scim(idp, agents):
    ana_id = provisioned(idp)
    group = idp("post", "Groups", {"schemas": [GROUP], "displayName": "Support Agents", "members": [{"value": ana_id}]})
    assert idp("delete", f"Users/{ana_id}").status_code == 204
    assert idp("get", f"Users/{ana_id}").status_code == 404
    ana = User.objects.get(pk=ana_id)  # kept: tickets name her
    assert (ana.is_active, user_role(ana)) == (False, Role.REQUESTER)
    assert idp("get", f"Groups/{group.json()['id']}").json()["members"] == []


def test_group_membership_changes_apply_the_mapping_at_once(idp, agents):
    ana_id, bo_id = provisioned(idp), provisioned(idp, "bo@example.com")
    group_id = idp("post", "Groups", {"schemas": [GROUP], "displayName": "Support Agents", "members": []}).json()["id"]
    # Entra ID adds members
    add = {
        "schemas": [PATCH],
        "Operations": [{"op": "Add", "path": "members", "value": [{"value": ana_id}, {"value": bo_id}]}],
    }
    assert idp("patch", f"Groups/{group_id}", add).status_code == 204
    assert {user_role(User.objects.get(pk=pk)) for pk in (ana_id, bo_id)} == {Role.AGENT}
    # Okta removes one by a filtered path
    remove = {"schemas": [PATCH], "Operations": [{"op": "remove", "path": f'members[value eq "{ana_id}"]'}]}
    assert idp("patch", f"Groups/{group_id}", remove).status_code == 204
    assert user_role(User.objects.get(pk=ana_id)) == Role.REQUESTER
    assert user_role(User.objects.get(pk=bo_id)) == Role.AGENT
    # Entra ID removes with a value list
    remove = {"schemas": [PATCH], "Operations": [{"op": "Remove", "path": "members", "value": [{"value": bo_id}]}]}
    assert idp("patch", f"Groups/{group_id}", remove).status_code == 204
    assert not QueueMember.objects.filter(queue=agents).exists()


def test_a_renamed_group_follows_its_new_name_mapping(idp, agents):
    ana_id = provisioned(idp)
    group = idp("post", "Groups", {"schemas": [GROUP], "displayName": "Support Agents", "members": [{"value": ana_id}]})
    # Okta renames with a pathless replace carrying the id back
    body = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "value": {"id": group.json()["id"], "displayName": "Former Agents"}}],
    }
    assert idp("patch", f"Groups/{group.json()['id']}", body).status_code == 204
    assert user_role(User.objects.get(pk=ana_id)) == Role.REQUESTER


def test_deleting_a_group_takes_what_it_gave(idp, agents):
    ana_id = provisioned(idp)
    group = idp("post", "Groups", {"schemas": [GROUP], "displayName": "Support Agents", "members": [{"value": ana_id}]})
    assert idp("delete", f"Groups/{group.json()['id']}").status_code == 204
    assert user_role(User.objects.get(pk=ana_id)) == Role.REQUESTER
    assert not DirectoryGroup.objects.exists()


def test_a_group_put_replaces_name_and_members(idp):
    ana_id, bo_id = provisioned(idp), provisioned(idp, "bo@example.com")
    group = idp("post", "Groups", {"schemas": [GROUP], "displayName": "Ops", "members": [{"value": ana_id}]}).json()
    body = {"schemas": [GROUP], "displayName": "Operations", "externalId": "grp-1", "members": [{"value": bo_id}]}
    response = idp("put", f"Groups/{group['id']}", body)
    assert response.status_code == 200
    assert response.json()["displayName"] == "Operations"
    assert [m["value"] for m in response.json()["members"]] == [bo_id]


def test_entra_finds_groups_by_name_without_their_members(idp):
    ana_id = provisioned(idp)
    idp("post", "Groups", {"schemas": [GROUP], "displayName": "Support Agents", "members": [{"value": ana_id}]})
    found = idp("get", "Groups", filter='displayName eq "Support Agents"', excludedAttributes="members").json()
    assert found["totalResults"] == 1
    assert "members" not in found["Resources"][0]


def test_refusals_are_scim_errors_not_500s(idp):
    ana_id = provisioned(idp)
    cases = [
        (idp("get", "Users", filter='title co "x"'), 400, "invalidFilter"),
        (idp("get", "Users/99999999"), 404, None),
        (idp("get", "Users/not-an-id"), 404, None),
        (idp("post", "Users", {"schemas": [USER]}), 400, "invalidValue"),
        (idp("post", "Users", okta_user("not-an-email", emails=[])), 400, "invalidValue"),
        (idp("patch", f"Users/{ana_id}", {"Operations": [{"op": "move"}]}), 400, "invalidSyntax"),
        (
            idp("patch", f"Users/{ana_id}", {"Operations": [{"op": "replace", "path": "active", "value": "maybe"}]}),
            400,
            "invalidValue",
        ),
        (idp("post", "Groups", {"displayName": "Ops", "members": [{"value": "424242"}]}), 400, "invalidValue"),
        (idp("post", "Groups", {"displayName": ""}), 400, "invalidValue"),
        (idp("get", "Users", startIndex="x"), 400, "invalidValue"),
    ]
    for response, status, scim_type in cases:
        assert response.status_code == status, response.content
        assert response.json().get("scimType") == scim_type
    bad_json = idp.client.post("/scim/v2/Users", "{", content_type=SCIM, HTTP_AUTHORIZATION=f"Bearer {idp.key}")
    assert bad_json.status_code == 400
    assert idp("patch", "Users", {}).status_code == 405


def test_pages_of_users(idp):
    ids = [provisioned(idp, f"p{n}@example.com") for n in range(5)]
    page = idp("get", "Users", startIndex=3, count=2).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 3, 2)
    assert [u["id"] for u in page["Resources"]] == ids[2:4]


@pytest.mark.parametrize("people", [2, 20])
def test_lists_and_group_changes_take_the_same_queries_however_many_people(
    idp, agents, people, django_assert_max_num_queries
):
    ids = [provisioned(idp, f"p{n}@example.com") for n in range(people)]
    group = idp("post", "Groups", {"schemas": [GROUP], "displayName": "Ops", "members": []}).json()
    with django_assert_max_num_queries(8):
        assert len(idp("get", "Users", count=50).json()["Resources"]) == people
    with django_assert_max_num_queries(8):
        idp("get", "Groups")
    add = {"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": i} for i in ids]}]}
    rename = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "Support Agents"}]}
    with django_assert_max_num_queries(28):
        idp("patch", f"Groups/{group['id']}", add)
    with django_assert_max_num_queries(28):
        idp("patch", f"Groups/{group['id']}", rename)
    assert QueueMember.objects.filter(queue=agents).count() == people


def test_discovery_resources(idp):
    config = idp("get", "ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert {t["id"] for t in idp("get", "ResourceTypes").json()["Resources"]} == {"User", "Group"}
    assert {s["id"] for s in idp("get", "Schemas").json()["Resources"]} == {USER, GROUP}


def test_an_admin_makes_a_token_and_sees_it_once(admin_client):
    response = admin_client.post(reverse("admin:directory_scimtoken_add"), {"name": "Entra ID", "provider": ""})
    assert response.status_code == 200
    key = response.context["key"]
    assert key in response.content.decode()
    listing = admin_client.get(reverse("admin:directory_scimtoken_changelist")).content.decode()
    assert "Entra ID" in listing and key not in listing
    assert Idp(admin_client, key)("get", "Users").status_code == 200


def test_entra_asks_whether_a_user_is_in_a_group(idp):
    ana_id, bo_id = provisioned(idp), provisioned(idp, "bo@example.com")
    group_id = idp("post", "Groups", {"displayName": "Ops", "members": [{"value": ana_id}]}).json()["id"]

    def found(user_id: str) -> int:
        query = f'id eq "{group_id}" and members[value eq "{user_id}"]'
        return idp("get", "Groups", filter=query, excludedAttributes="members").json()["totalResults"]

    assert (found(ana_id), found(bo_id), found("nope")) == (1, 0, 0)
    assert idp("get", "Users", filter=f'id eq "{bo_id}"').json()["Resources"][0]["userName"] == "bo@example.com"
    assert idp("get", "Groups", filter='id eq "1" or displayName eq "x"').status_code == 400


def test_scim_is_the_word_on_its_groups_and_the_last_sign_in_on_the_others(idp, agents):
    # given: Ana's last sign-in claimed "Support Agents" and "Support Managers"; SCIM pushes only "Support Agents"
    IdentityGroupMapping.objects.create(idp_group="Support Managers", role=Role.MANAGER)
    ana_id = provisioned(idp)
    ana = User.objects.get(pk=ana_id)
    extra_data = {"userinfo": {"sub": "00u1ana", "groups": ["Support Agents", "Support Managers"]}}
    SocialAccount.objects.create(user=ana, provider="okta", uid="00u1ana", extra_data=extra_data)
    group = idp("post", "Groups", {"displayName": "Support Agents", "members": [{"value": ana_id}]}).json()
    assert user_role(fresh(ana)) == Role.MANAGER
    assert QueueMember.objects.filter(user=ana, queue=agents).exists()
    # when: SCIM takes her out of "Support Agents", which her last sign-in still claimed
    remove = {"schemas": [PATCH], "Operations": [{"op": "remove", "path": f'members[value eq "{ana_id}"]'}]}
    assert idp("patch", f"Groups/{group['id']}", remove).status_code == 204
    # then: the queue goes at once; the role her sign-in's other group gives stays
    assert not QueueMember.objects.filter(user=ana, queue=agents).exists()
    assert user_role(fresh(ana)) == Role.MANAGER
