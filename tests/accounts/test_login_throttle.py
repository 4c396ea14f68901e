import os
import subprocess
import sys
import uuid
from pathlib import Path

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


def test_behind_a_proxy_the_client_address_is_the_entry_it_appended_to_x_forwarded_for():
    env = os.environ | {"DJANGO_BEHIND_PROXY": "true", "DJANGO_SECRET_KEY": "x" * 60}  # as the compose file runs
    read = "from supportdesk.settings import base; print(base.ALLAUTH_TRUSTED_PROXY_COUNT)"
    result = subprocess.run(
        [sys.executable, "-c", read],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "1"


@pytest.mark.django_db
def test_behind_the_proxy_the_stranger_is_stopped_by_their_own_address_not_the_proxys(client, settings):
    # given: every request arrives from the TLS proxy, which appends the client's address to X-Forwarded-For
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    UserFactory(email=OWNER)
    proxy = "127.0.0.1"
    for n in range(10):  # a stranger tries ten accounts, claiming to be the owner's address in vain
        client.post(
            "/accounts/login/",
            {"login": f"guess{n}@example.com", "password": "x"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"{OWNER_IP}, {STRANGER_IP}",
        )
    # then: the stranger is stopped, the owner (through the same proxy) still signs in
    stranger = client.post(
        "/accounts/login/",
        {"login": OWNER, "password": "pass-word-123"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=STRANGER_IP,
    )
    assert LOCKED in stranger.content.decode()
    owner = client.post(
        "/accounts/login/",
        {"login": OWNER, "password": "pass-word-123"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=OWNER_IP,
    )
    assert owner.status_code == 302


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
