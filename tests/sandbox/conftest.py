import pytest

from awsgateway import clients
from tools.sandbox.scenario import BASIC, DEVELOPMENT, PRODUCTION, Clock, demo

from .helpers import EPOCH, Live


@pytest.fixture
def live():
    server = Live(demo(Clock(EPOCH, 30)))
    yield server
    server.close()


@pytest.fixture
def production(live):
    return lambda service: live.client(service, PRODUCTION)


@pytest.fixture
def development(live):
    return lambda service: live.client(service, DEVELOPMENT)


@pytest.fixture
def basic(live):
    return lambda service: live.client(service, BASIC)


@pytest.fixture
def gateway(live, settings, monkeypatch):
    """The portal's own gateway, pointed at the sandbox: an account id gives its AccountAccess."""
    # What `make run` sets for the portal when it starts the sandbox
    settings.AWS_ENDPOINT_URL = live.url
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASANDBOXDEFAULT00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    clients.forget_credentials()
    yield lambda account_id: clients.AccountAccess(account_id, f"arn:aws:iam::{account_id}:role/SupportdeskRead")
    clients.forget_credentials()
