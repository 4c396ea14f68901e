import uuid

import pytest

from ..factories import UserFactory
from .processes import PortalProcess

OWNER = "owner@example.com"
STRANGER_IP, OWNER_IP = "203.0.113.5", "198.51.100.7"
LOCKED = "Too many failed login attempts"


def _sign_in(client, password: str, ip: str):
    return client.post("/accounts/login/", {"login": OWNER, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(client):
    UserFactory(email=OWNER)
    for _ in range(5):
        assert LOCKED not in _sign_in(client, "wrong", STRANGER_IP).content.decode()
    assert LOCKED in _sign_in(client, "pass-word-123", STRANGER_IP).content.decode()  # that address is stopped
    assert _sign_in(client, "pass-word-123", OWNER_IP).status_code == 302  # the owner signs in


@pytest.mark.django_db
def test_many_accounts_tried_from_one_address_stop_it(client):
    for n in range(10):
        client.post("/accounts/login/", {"login": f"guess{n}@example.com", "password": "x"}, REMOTE_ADDR=STRANGER_IP)
    UserFactory(email=OWNER)
    assert LOCKED in _sign_in(client, "pass-word-123", STRANGER_IP).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_across_processes_with_an_in_process_cache():
    UserFactory(email=OWNER)
    prefix = f"test-workers-{uuid.uuid4().hex[:8]}"
    processes = [PortalProcess(cache_url="locmemcache://", key_prefix=prefix) for _ in range(2)]
    try:
        attempt = f"post('/accounts/login/', {{'login': {OWNER!r}, 'password': 'wrong'}}, REMOTE_ADDR={STRANGER_IP!r})"
        for n in range(5):  # three in one process, two in the other
            _, page = processes[n % 2](attempt)
            assert LOCKED not in page
        for process in processes:
            assert LOCKED in process(attempt)[1]
    finally:
        for process in processes:
            process.stop()
