from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.stub import Stubber

from awsgateway import clients


@contextmanager
def stubbed(monkeypatch, access: clients.AccountAccess, service: str) -> Iterator[Stubber]:
    """A real client built by the gateway, with Stubber answering; every queued response must be used."""
    client: Any = clients.client_for(access, service)
    monkeypatch.setattr(clients, "client_for", lambda *args, **kwargs: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()
