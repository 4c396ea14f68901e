import pytest

from accounts.roles import Role
from integrations.models import AwsAccount

from ..factories import QueueFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return AwsAccount.objects.create(
        account_id="123456789012", name="Payments prod", owner_queue=QueueFactory(),
        support_api="plan_too_low", capability_note="The AWS Support and Health APIs need a Business-level plan.",
    )  # fmt: skip


@pytest.mark.parametrize(("role", "status"), [(Role.REQUESTER, 403), (Role.AGENT, 200), (Role.MANAGER, 200),
                                             (Role.ADMIN, 200)])  # fmt: skip
def test_account_pages_are_for_support_staff(client, account, role, status):
    client.force_login(UserFactory(role=role))
    assert client.get("/aws/accounts/").status_code == status
    assert client.get(f"/aws/accounts/{account.pk}/").status_code == status


def test_the_account_page_says_what_works_and_why_not(client, account):
    client.force_login(UserFactory(role=Role.AGENT))
    page = client.get(f"/aws/accounts/{account.pk}/").content.decode()
    assert "Needs a Business-level plan" in page
    assert "Support and Health APIs need a Business-level plan" in page
    assert "Check with AWS now" not in page  # agents read; admins act


def test_admins_queue_a_check_and_others_may_not(client, account, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("integrations.tasks.account_capability_refresh_task.delay", queued.append)
    client.force_login(UserFactory(role=Role.MANAGER))
    assert client.post(f"/aws/accounts/{account.pk}/check/").status_code == 403
    client.force_login(UserFactory(role=Role.ADMIN))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/aws/accounts/{account.pk}/check/")
    assert response.status_code == 302
    assert queued == [account.pk]


def test_an_empty_registry_says_how_to_start(client):
    client.force_login(UserFactory(role=Role.MANAGER))
    assert "No AWS accounts yet" in client.get("/aws/accounts/").content.decode()
