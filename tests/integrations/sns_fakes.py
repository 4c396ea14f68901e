"""A local SNS signer (docs/aws.md#fakes): an RSA key, a self-signed certificate, messages signed as SNS signs."""

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils import timezone
from kombu.exceptions import OperationalError

from integrations.tasks import sns_message_ingest_task
from tools.sandbox.certificates import self_signed

CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:supportdesk-events"
SUBSCRIBE_URL = (
    "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
    f"&TopicArn={TOPIC_ARN}&Token=2336412f37fb687f5d51e6e2425c464d"
)
_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
_HASH = {"1": hashes.SHA1, "2": hashes.SHA256}


@dataclass(frozen=True)
class Signer:
    key: rsa.RSAPrivateKey
    pem: bytes

    def sign(self, fields: dict, *, version: str = "2", cert_url: str = CERT_URL) -> dict:
        """``fields`` plus a signature over the keys SNS signs, in its order, as ``key\\nvalue\\n``."""
        text = "".join(f"{key}\n{fields[key]}\n" for key in _SIGNED[fields["Type"]] if fields.get(key) is not None)
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), _HASH[version]())
        return {
            **fields,
            "SignatureVersion": version,
            "Signature": base64.b64encode(signature).decode(),
            "SigningCertURL": cert_url,
        }


@cache
def signer() -> Signer:
    """One key per process: generating RSA keys is the slow part."""
    key, pem = self_signed("sns.amazonaws.com", days=30)
    return Signer(key=key, pem=pem)


@cache
def forger() -> Signer:
    """Another key: what someone without SNS's key signs with (the certificate URL still names SNS's)."""
    return Signer(key=rsa.generate_private_key(public_exponent=65537, key_size=2048), pem=b"")


def timestamp(when: datetime | None = None) -> str:
    return (when or timezone.now()).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def notification(message: dict | str, *, topic_arn: str = TOPIC_ARN, when: datetime | None = None, **extra) -> dict:
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic_arn,
        "Message": message if isinstance(message, str) else json.dumps(message),
        "Timestamp": timestamp(when),
        "UnsubscribeURL": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={topic_arn}:1",
        **extra,
    }


def confirmation(
    *, kind: str = "SubscriptionConfirmation", topic_arn: str = TOPIC_ARN, subscribe_url: str = SUBSCRIBE_URL
) -> dict:
    return {
        "Type": kind,
        "MessageId": str(uuid.uuid4()),
        "Token": "2336412f37fb687f5d51e6e2425c464d",
        "TopicArn": topic_arn,
        "Message": f"You have chosen to subscribe to the topic {topic_arn}.\nTo confirm, visit the SubscribeURL.",
        "SubscribeURL": subscribe_url,
        "Timestamp": timestamp(),
    }


class IngestBroker:
    """Stands in for Celery's broker behind the ingest task: what was queued, and whether it is reachable."""

    def __init__(self) -> None:
        self.queued: list[int] = []
        self.down = False

    def apply_async(self, args, **options) -> None:
        assert options == {"retry": False}  # a broker outage must not hold up the 200
        if self.down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.queued.append(args[0])

    def work(self) -> list:
        """A worker takes everything queued, as Celery would (retries run at once, without their countdown)."""
        queued, self.queued = self.queued, []
        return [sns_message_ingest_task.apply(args=(pk,)).get(propagate=False) for pk in queued]


def post_as_sns(client, fields: dict | bytes, *, message_type: str | None = None):
    body = fields if isinstance(fields, bytes) else json.dumps(fields).encode()
    kind = message_type if message_type is not None else (fields.get("Type", "") if isinstance(fields, dict) else "")
    # SNS sends JSON as text/plain, and says the type in a header too
    return client.post(
        "/aws/sns/", body, content_type="text/plain; charset=utf-8", headers={"x-amz-sns-message-type": kind}
    )
