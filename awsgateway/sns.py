"""Publishing to SNS topics. SNS's limits are applied here: callers say what they mean (docs/aws.md#sns-publish)."""

import hashlib
import logging
import re
from collections.abc import Mapping

from .clients import AccountAccess, client_for
from .errors import AwsError, translated_errors

TOPIC_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:sns:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):[A-Za-z0-9_-]{1,256}(?:\.fifo)?$"
)
SUBJECT_MAX = 99  # "less than 100 characters"; AWS refuses more with InvalidParameter
MESSAGE_MAX_BYTES = 262_144  # body and attributes together: the default MaximumMessageSize
_FIFO_ID = re.compile(r"^[!-~]{1,128}$")  # alphanumerics and ASCII punctuation, as SNS allows
_LINE_BREAKS = re.compile(r"[\s\x00-\x1f\x7f]+")
log = logging.getLogger(__name__)
_TRUNCATED = "\n\n[… cut here: SNS messages are limited to 256 KB; the rest is on the ticket]"


def topic_is_fifo(topic_arn: str) -> bool:
    return topic_arn.endswith(".fifo")


def subject_for_sns(subject: str) -> str:
    """One line (SNS refuses line breaks and control characters) of fewer than 100 characters."""
    line = _LINE_BREAKS.sub(" ", subject).strip()
    return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 1] + "…"


def fifo_id(value: str) -> str:
    """A group or deduplication id SNS accepts: the value itself, or its SHA-256 when too long or not ASCII."""
    return value if _FIFO_ID.match(value) else hashlib.sha256(value.encode()).hexdigest()


def _attributes(attributes: Mapping[str, str]) -> dict[str, dict[str, str]]:
    # SNS refuses an empty StringValue; a missing attribute simply does not match a subscriber's filter
    return {name: {"DataType": "String", "StringValue": value} for name, value in attributes.items() if value}


def _fitted(message: str, attributes: dict[str, dict[str, str]]) -> str:
    """The body cut (with a note) so that body and attributes stay within SNS's size limit."""
    overhead = sum(len(f"{name}{a['DataType']}{a['StringValue']}".encode()) for name, a in attributes.items())
    budget = MESSAGE_MAX_BYTES - overhead
    encoded = message.encode()
    if len(encoded) <= budget:
        return message
    note = _TRUNCATED.encode()
    return encoded[: budget - len(note)].decode(errors="ignore") + _TRUNCATED


def sns_publish(
    *, topic_arn: str, subject: str, message: str, attributes: Mapping[str, str], group_id: str, dedup_id: str
) -> str:
    """Publish one message with the server's own credentials, in the topic's region; returns SNS's message id.

    group_id and dedup_id are used by FIFO topics only: one group per ticket keeps its messages in order, and
    SNS drops a message whose dedup id it saw in the last five minutes (a resend after a crash)."""
    arn = TOPIC_ARN.match(topic_arn)
    if arn is None:
        raise AwsError(f"{topic_arn} is not an SNS topic ARN.")
    encoded = _attributes(attributes)
    params = {"TopicArn": topic_arn, "Message": _fitted(message, encoded), "MessageAttributes": encoded}
    if line := subject_for_sns(subject):
        params["Subject"] = line
    if topic_is_fifo(topic_arn):
        params |= {"MessageGroupId": fifo_id(group_id), "MessageDeduplicationId": fifo_id(dedup_id)}
    client = client_for(AccountAccess(account_id=arn["account"]), "sns", region=arn["region"], once=True)
    with translated_errors():
        message_id = client.publish(**params)["MessageId"]
    # The end of a ticket's path in the logs: the line carries the request id of the click that caused it
    log.info("SNS message %s published to %s", message_id, topic_arn)
    return message_id
