"""An admin maps an IdP group to a role and a queue, and makes a SCIM token, in the admin; the token, shown once,
then works against /scim/v2/."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from directory.models import IdentityGroupMapping

from ..factories import QueueFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_admin_maps_a_group_and_makes_a_scim_token(browser, live_server, sign_in):
    admin = UserFactory(role=Role.ADMIN, is_superuser=True)
    QueueFactory(name="Platform")
    page = browser.new_context().new_page()
    sign_in(page, admin.email)

    # the mapping
    page.goto(f"{live_server.url}/admin/directory/identitygroupmapping/add/")
    page.fill("input[name=idp_group]", "Support Agents")
    page.select_option("select[name=role]", "agent")
    page.select_option("select[name=queues_old]", label="Platform")
    page.click("#id_queues_add")
    page.click("input[name=_save]")
    expect(page.locator("#result_list")).to_contain_text("Support Agents")
    expect(page.locator("#result_list")).to_contain_text("Platform")
    mapping = IdentityGroupMapping.objects.get()
    assert (mapping.role, [q.name for q in mapping.queues.all()]) == ("agent", ["Platform"])

    # the token, shown once
    page.goto(f"{live_server.url}/admin/directory/scimtoken/add/")
    page.fill("input[name=name]", "Okta production")
    page.click("input[name=_save]")
    expect(page.locator("h1")).to_have_text("SCIM token “Okta production”")
    key = page.input_value("#scim-token")
    expect(page.locator("code")).to_have_text(f"{live_server.url}/scim/v2")

    answer = page.request.get(f"{live_server.url}/scim/v2/Users", headers={"Authorization": f"Bearer {key}"})
    assert answer.status == 200
    assert answer.json()["totalResults"] == 0
    page.click("text=Back to the SCIM tokens")
    expect(page.locator("#result_list")).to_contain_text("Okta production")
    expect(page.locator("#result_list")).not_to_contain_text(key)
