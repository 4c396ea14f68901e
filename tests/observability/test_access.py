"""Who may read /metrics: the token, the networks, both, or nobody; a refusal is a 404, as for a page that is not."""

from ipaddress import ip_network

import pytest

from observability.access import scrape_allowed

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-scrape-token-42"


@pytest.fixture
def configured(settings):
    def configure(*, token: str = "", networks: tuple[str, ...] = ()) -> None:
        settings.METRICS_TOKEN = token
        settings.METRICS_ALLOWED_NETWORKS = [ip_network(n) for n in networks]

    return configure


def test_neither_token_nor_networks_set_refuses_everyone_even_this_machine(client, configured):
    configured()
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        ("", 404),
        ("Bearer wrong-token", 404),
        (f"Basic {TOKEN}", 404),
        (f"Bearer {TOKEN}x", 404),
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),
    ],
)
def test_the_token_is_needed_as_a_bearer_token(client, configured, authorization, status):
    configured(token=TOKEN)
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/metrics", headers=headers, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == status
    if status == 404:
        assert b"supportdesk_" not in response.content


@pytest.mark.parametrize(
    ("peer", "status"),
    [("10.1.2.3", 200), ("10.255.0.1", 200), ("192.168.1.5", 404), ("::ffff:10.1.2.3", 200), ("2001:db8::1", 200)],
)
def test_a_peer_inside_the_networks_needs_no_token(client, configured, peer, status):
    configured(networks=("10.0.0.0/8", "2001:db8::/32"))
    assert client.get("/metrics", REMOTE_ADDR=peer).status_code == status


def test_a_request_through_a_proxy_never_passes_on_its_network(client, configured):
    # the proxy's address is inside the network, but it forwards anyone's request
    configured(networks=("10.0.0.0/8",))
    response = client.get("/metrics", REMOTE_ADDR="10.0.0.7", headers={"X-Forwarded-For": "198.51.100.4"})
    assert response.status_code == 404


def test_with_both_set_both_must_hold(client, configured):
    configured(token=TOKEN, networks=("10.0.0.0/8",))
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", headers=bearer, REMOTE_ADDR="10.0.0.9").status_code == 200
    assert client.get("/metrics", headers=bearer, REMOTE_ADDR="192.0.2.1").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.9").status_code == 404


def test_other_methods_are_refused_without_an_error(client, configured):
    configured(token=TOKEN)
    assert client.post("/metrics").status_code == 404  # refused first: no CSRF page, no 405 to a stranger
    assert client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405


@pytest.mark.parametrize("peer", ["", "not-an-address", "fe80::1%eth0"])
def test_an_odd_peer_address_is_refused_not_an_error(configured, peer):
    configured(networks=("10.0.0.0/8",))
    assert scrape_allowed(authorization="", peer=peer, forwarded=False) is False
