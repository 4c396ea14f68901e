"""The SNS push fixtures, shared by the endpoint's tests and the inbox's."""

import pytest
import responses

from integrations.models import SnsTopic
from integrations.push import tasks as push_tasks

from .sns_fakes import CERT_URL, SUBSCRIBE_URL, TOPIC_ARN, IngestBroker, post_as_sns, signer


@pytest.fixture
def topic():
    return SnsTopic.objects.create(topic_arn=TOPIC_ARN, description="Health and Trusted Advisor")


@pytest.fixture
def broker(monkeypatch) -> IngestBroker:
    fake = IngestBroker()
    monkeypatch.setattr(push_tasks.sns_message_ingest_task, "apply_async", fake.apply_async)
    return fake


@pytest.fixture
def post(client, django_capture_on_commit_callbacks, broker):
    """POST as SNS does, running what waits for the commit (queueing the ingest task on the fake broker)."""

    def post(fields: dict | bytes, *, message_type: str | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return post_as_sns(client, fields, message_type=message_type)

    return post


@pytest.fixture
def aws():
    """SNS's side of the wire: the signing certificate and the confirmation link. Nothing else answers."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(CERT_URL, body=signer().pem)
        mock.get(SUBSCRIBE_URL, body="<ConfirmSubscriptionResponse/>")
        yield mock
