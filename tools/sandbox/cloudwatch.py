"""CloudWatch alarms that fire and clear on the story's clock, delivered as SNS delivers an alarm action's message:
a signed notification POSTed to the portal's ``/aws/sns/`` (``SANDBOX_PORTAL_URL``).

The signing certificate is this process's own. Its URL names SNS's host, as the portal requires; a portal whose
``AWS_ENDPOINT_URL`` is the sandbox fetches the certificate's path from here (``GET /sns/<path>``), as it sends
every other AWS call here. Like SNS, a delivery answered 5xx or not at all is tried again, for up to an hour.
"""

import base64
import hashlib
import json
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .certificates import self_signed
from .scenario import Alarm, AlarmChange, World

PREFIX = "/sns/"
TOPIC_ARN = "arn:aws:sns:us-east-1:111122223333:supportdesk-alarms"  # seed_demo --sandbox registers it
_REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "eu-west-1": "Europe (Ireland)"}
_SIGNED = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
RETRY_FOR = timedelta(hours=1)  # SNS's limit for an HTTPS delivery


@cache
def _key() -> tuple[rsa.RSAPrivateKey, bytes]:
    return self_signed("sns.amazonaws.com", days=365)


def _cert_path() -> str:
    # Named for its key, as AWS names a rotated certificate anew: a portal that cached an earlier run's certificate
    # by URL fetches this one
    return f"/SimpleNotificationService-{hashlib.sha256(_key()[1]).hexdigest()[:32]}.pem"


def cert_url() -> str:
    return f"https://sns.us-east-1.amazonaws.com{_cert_path()}"


def certificate_pem(path: str) -> bytes | None:
    """The PEM at ``/sns/<path>``, or None for any other path."""
    return _key()[1] if path == PREFIX.rstrip("/") + _cert_path() else None


def alarm_message(alarm: Alarm, change: AlarmChange, previous: str, changed_at: datetime) -> dict:
    """The JSON an alarm action publishes (docs/aws.md#the-alarms-sns-message)."""
    arn = f"arn:aws:cloudwatch:{alarm.region}:{alarm.account_id}:alarm:{alarm.name}"
    topic = TOPIC_ARN.replace("111122223333", alarm.account_id)
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": alarm.account_id,
        "AlarmConfigurationUpdatedTimestamp": _stamp(changed_at - timedelta(days=30)),
        "NewStateValue": change.state,
        "NewStateReason": change.reason,
        "StateChangeTime": _stamp(changed_at),
        "Region": _REGION_NAMES.get(alarm.region, alarm.region),
        "AlarmArn": arn,
        "OldStateValue": previous,
        "OKActions": [topic],
        "AlarmActions": [topic],
        "InsufficientDataActions": [],
        "Trigger": {
            "MetricName": alarm.metric,
            "Namespace": alarm.namespace,
            "StatisticType": "Statistic",
            "Statistic": alarm.statistic,
            "Unit": None,
            "Dimensions": [{"value": v, "name": k} for k, v in alarm.dimensions.items()],
            "Period": alarm.period,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "ComparisonOperator": alarm.comparison,
            "Threshold": alarm.threshold,
            "TreatMissingData": "missing",
            "EvaluateLowSampleCountPercentile": "",
        },
    }


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def notification(message: dict, *, message_id: str, published_at: datetime, subject: str) -> dict:
    """An SNS HTTPS delivery of ``message``, signed with SHA256 (SignatureVersion 2)."""
    fields = {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": TOPIC_ARN,
        "Subject": subject[:99],
        "Message": json.dumps(message),
        "Timestamp": published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }
    text = "".join(f"{key}\n{fields[key]}\n" for key in _SIGNED)
    signature = _key()[0].sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    return fields | {
        "SignatureVersion": "2",
        "Signature": base64.b64encode(signature).decode(),
        "SigningCertURL": cert_url(),
        "UnsubscribeURL": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={TOPIC_ARN}:1",
    }


def due(world: World, now: datetime) -> list[tuple[str, dict, datetime]]:
    """Every delivery the story has published by ``now``: (message id, SNS body, publish time), oldest first. The
    id follows from the epoch and the change, so a restarted sandbox sends the same ids and the portal takes each
    once."""
    step = world.clock.step(now)
    deliveries = []
    for alarm in world.alarms:
        previous = "OK"
        for change in alarm.changes:
            if change.step > step:
                break
            at = world.clock.time(change.step)
            message_id = str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"{world.clock.epoch.isoformat()}/{alarm.name}/{change.step}")
            )
            region = _REGION_NAMES.get(alarm.region, alarm.region)
            subject = f'{change.state}: "{alarm.name}" in {region}'
            body = notification(
                alarm_message(alarm, change, previous, at), message_id=message_id, published_at=at, subject=subject
            )
            deliveries.append((message_id, body, at))
            previous = change.state
    return deliveries


Post = Callable[[str, bytes], int]


def _post(url: str, body: bytes) -> int:
    headers = {"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification"}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0  # not reachable (the portal is still starting): tried again


class Publisher:
    """Delivers what the story published and the portal has not taken yet; ``tick()`` once, ``run()`` for ever."""

    def __init__(self, world: World, portal_url: str, *, now: Callable[[], datetime], post: Post = _post) -> None:
        self.world, self.url, self.now, self.post = world, portal_url.rstrip("/") + "/aws/sns/", now, post
        self.done: set[str] = set()

    def tick(self) -> None:
        now = self.now()
        for message_id, body, published_at in due(self.world, now):
            if message_id in self.done:
                continue
            if now - published_at > RETRY_FOR:
                self.done.add(message_id)  # SNS gives up too
                continue
            status = self.post(self.url, json.dumps(body).encode())
            if status and status < 500:  # taken, or refused for good: SNS retries neither
                self.done.add(message_id)
                if status != 200:
                    print(f"sandbox: the portal refused alarm message {message_id} with {status}", file=sys.stderr)

    def run(self, stop: threading.Event, every: float = 2.0) -> None:
        while not stop.wait(every):
            self.tick()
