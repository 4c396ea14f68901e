import pytest
from django.core.cache import cache

from accounts.roles import Role

from .factories import QueueFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Redis outlives each test's rolled-back transaction; cached rows must not.
    cache.clear()
    yield
    cache.clear()


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
