"""Who may read the metrics: the web's `/metrics` and each worker's metrics port apply the same rule."""

import hmac
from ipaddress import ip_address

from django.conf import settings


def scrape_allowed(*, authorization: str, peer: str, forwarded: bool) -> bool:
    """Every condition configured must hold (METRICS_TOKEN as a Bearer token, the peer in METRICS_ALLOWED_NETWORKS);
    with neither configured nobody may read them.

    ``peer`` is the address of the connection itself, not a header a client could write. A request that came through
    a proxy (``forwarded``: it carries X-Forwarded-For) never passes on its network alone, since the peer is then
    the proxy, which forwards anyone's request."""
    token: str = settings.METRICS_TOKEN
    networks = settings.METRICS_ALLOWED_NETWORKS
    if not token and not networks:
        return False
    if token:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            return False
    if networks:
        if forwarded:
            return False
        try:
            address = ip_address(peer.split("%", 1)[0])  # an IPv6 peer may carry its zone
        except ValueError:
            return False
        address = getattr(address, "ipv4_mapped", None) or address  # ::ffff:10.0.0.5 on a dual-stack socket
        if not any(address in network for network in networks):
            return False
    return True
