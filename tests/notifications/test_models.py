import pytest
from django.core.exceptions import ValidationError

from notifications.models import Channel

SECRET = "a-secret-of-enough-length"


def errors(**fields) -> dict:
    try:
        Channel(name="c", **fields).full_clean()
    except ValidationError as exc:
        return exc.message_dict
    return {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "sns", "topic_arn": "arn:aws:sns:eu-west-1:123456789012:ops"}, None),
        ({"kind": "sns", "topic_arn": "arn:aws:sns:eu-west-1:123456789012:ops.fifo"}, None),
        ({"kind": "sns", "topic_arn": "arn:aws:sqs:eu-west-1:123456789012:ops"}, "topic_arn"),
        ({"kind": "sns"}, "topic_arn"),
        ({"kind": "email", "email_addresses": "ops@example.com,\noncall@example.com"}, None),
        ({"kind": "email", "email_addresses": "ops@example.com, not-an-address"}, "email_addresses"),
        ({"kind": "webhook", "webhook_url": "https://hooks.example.com/x", "webhook_secret": SECRET}, None),
        ({"kind": "webhook", "webhook_url": "http://127.0.0.1:9000/x", "webhook_secret": SECRET}, None),
        ({"kind": "webhook", "webhook_url": "http://localhost:9000/x", "webhook_secret": SECRET}, None),
        ({"kind": "webhook", "webhook_url": "http://hooks.example.com/x", "webhook_secret": SECRET}, "webhook_url"),
        ({"kind": "webhook", "webhook_url": "https://hooks.example.com/x"}, "webhook_secret"),
        (
            {"kind": "webhook", "webhook_url": "https://hooks.example.com/x", "webhook_secret": "short"},
            "webhook_secret",
        ),
    ],
)
def test_a_channel_needs_what_its_kind_uses(fields, field):
    assert list(errors(**fields)) == ([field] if field else [])


def test_fifo_and_addresses_are_read_from_the_fields():
    assert Channel(kind="sns", topic_arn="arn:aws:sns:us-east-1:123456789012:ops.fifo").is_fifo
    assert not Channel(kind="sns", topic_arn="arn:aws:sns:us-east-1:123456789012:ops").is_fifo
    assert Channel(email_addresses=" a@x.org ,\n\nb@x.org,").addresses == ["a@x.org", "b@x.org"]
