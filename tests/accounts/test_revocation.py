"""Access taken away in one process ends on the very next request in every other (two portal processes, as
under `make run`), whatever the cache: in-process memory or a shared Redis."""

import os
import uuid

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token

from accounts.roles import Role

from ..factories import QueueFactory, TicketFactory, UserFactory
from .processes import PortalProcess

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "leaver@example.com"


@pytest.fixture(scope="module", params=["locmem", "redis"])
def two_processes(request, django_db_setup):
    prefix = f"test-workers-{uuid.uuid4().hex[:8]}"
    cache_url = "locmemcache://" if request.param == "locmem" else os.environ["CACHE_URL"]
    one, other = (
        PortalProcess(cache_url=cache_url, key_prefix=prefix),
        PortalProcess(cache_url=cache_url, key_prefix=prefix),
    )
    yield one, other
    one.stop()
    other.stop()
    if request.param == "redis":
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)


@pytest.fixture
def agent_ticket():
    agent = UserFactory(email=EMAIL, role=Role.AGENT)
    return TicketFactory(queue=QueueFactory(members=[agent]))


def _signed_in_both(one, other) -> None:
    other(f"use_session({one(f'sign_in({EMAIL!r})')!r})")  # one session, served by either process
    assert one("get('/')") == other("get('/')") == 200  # both have the person and their access cached


def test_a_deactivated_person_is_refused_by_every_process_at_once(two_processes, agent_ticket):
    one, other = two_processes
    _signed_in_both(one, other)
    one(f"deactivate({EMAIL!r})")
    assert other("get('/')") == 302  # to the sign-in page
    assert one("get('/')") == 302


def test_a_password_changed_in_one_process_ends_the_session_in_every_process(two_processes, agent_ticket):
    one, other = two_processes
    _signed_in_both(one, other)
    one(f"password_change({EMAIL!r}, 'a-whole-new-password-42')")
    assert other("get('/')") == 302


def test_a_lost_role_takes_effect_in_every_process_at_once(two_processes, agent_ticket):
    one, other = two_processes
    _signed_in_both(one, other)
    page = f"get({agent_ticket.get_absolute_url()!r})"
    assert other(page) == 200
    one(f"user_set_role(user=person({EMAIL!r}), role=Role.REQUESTER)")
    assert other(page) == 404


def test_a_renewed_token_then_a_deactivation_are_refused_by_every_process_at_once(two_processes, agent_ticket):
    one, other = two_processes
    old = Token.objects.create(user=agent_ticket.queue.members.get()).key
    api = "get('/api/tickets/', HTTP_AUTHORIZATION='Token {}')"
    assert one(api.format(old)) == other(api.format(old)) == 200
    new = one(f"api_token_renew(user=person({EMAIL!r}))")
    assert other(api.format(old)) == 401
    assert other(api.format(new)) == one(api.format(new)) == 200
    one(f"deactivate({EMAIL!r})")
    assert other(api.format(new)) == 401
