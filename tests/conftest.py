import pytest
from django.core.cache import cache

from accounts.roles import Role
from integrations.models import AwsAccount

from .factories import QueueFactory, UserFactory
from .integrations.fake_aws import FakeAws


def _forget_cached_keys() -> None:
    # Only this process's keys: cache.clear() would flush the Redis database under other test runs.
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Redis outlives each test's rolled-back transaction; cached rows must not.
    _forget_cached_keys()
    yield
    _forget_cached_keys()


@pytest.fixture
def queue(agent):
    return QueueFactory(members=[agent])


@pytest.fixture
def other_queue():
    return QueueFactory()


@pytest.fixture
def requester(db):
    return UserFactory(role=Role.REQUESTER)


@pytest.fixture
def agent(db):
    return UserFactory(role=Role.AGENT)


@pytest.fixture
def manager(db):
    return UserFactory(role=Role.MANAGER)


@pytest.fixture
def admin_user(db):
    return UserFactory(role=Role.ADMIN)


@pytest.fixture
def fake_aws(monkeypatch) -> FakeAws:
    """The AWS gateway's functions answering from memory (tests/integrations/fake_aws.py)."""
    return FakeAws().install(monkeypatch)


@pytest.fixture
def prod_account(db) -> AwsAccount:
    return AwsAccount.objects.create(
        account_id="111122223333", name="Payments prod", environment="production", owner_queue=QueueFactory(),
        role_arn="arn:aws:iam::111122223333:role/SupportdeskRead",
    )  # fmt: skip
