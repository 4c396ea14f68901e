import pytest

from integrations.models import AwsAccount

from ..factories import QueueFactory
from .fake_aws import FakeAws


@pytest.fixture
def fake_aws(monkeypatch) -> FakeAws:
    return FakeAws().install(monkeypatch)


@pytest.fixture
def prod_account(db) -> AwsAccount:
    return AwsAccount.objects.create(
        account_id="111122223333", name="Payments prod", environment="production", owner_queue=QueueFactory(),
        role_arn="arn:aws:iam::111122223333:role/SupportdeskRead",
    )  # fmt: skip
