import pytest

from awsgateway import clients


@pytest.fixture(autouse=True)
def aws_env(monkeypatch, settings):
    # Dummy credentials so nothing can reach a real account; no custom endpoint unless a test sets one.
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.AWS_ENDPOINT_URL = None
    clients.forget_credentials()
    yield
    clients.forget_credentials()


@pytest.fixture
def access():
    return clients.AccountAccess(account_id="123456789012")
