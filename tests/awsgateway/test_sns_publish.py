import hashlib

import pytest
from moto import mock_aws

from awsgateway import clients, sns
from awsgateway.errors import AwsError
from tests.notifications.moto_sns import received, topic_with_queue


@pytest.fixture(autouse=True)
def _own_boto3_session(monkeypatch):
    # the shared session keeps the credentials it first resolved, and under mock_aws those are moto's fake ones
    monkeypatch.setattr(clients, "_shared", [])


ATTRIBUTES = {"severity": "SEV1", "environment": "production", "account": "", "kind": "incident"}


@mock_aws
def test_publish_delivers_subject_body_and_string_attributes_skipping_empty_ones():
    topic, queue = topic_with_queue("ops")

    message_id = sns.sns_publish(
        topic_arn=topic,
        subject="[SD-1] Down",
        message="Body\nhttps://x/tickets/SD-1/",
        attributes=ATTRIBUTES,
        group_id="SD-1",
        dedup_id="k:1",
    )

    [got] = received(queue)
    assert got["MessageId"] == message_id
    assert (got["Subject"], got["Message"]) == ("[SD-1] Down", "Body\nhttps://x/tickets/SD-1/")
    assert got["MessageAttributes"] == {
        "severity": {"Type": "String", "Value": "SEV1"},
        "environment": {"Type": "String", "Value": "production"},
        "kind": {"Type": "String", "Value": "incident"},
    }  # no "account": SNS refuses empty values


@mock_aws
def test_subject_becomes_one_line_under_100_characters():
    topic, queue = topic_with_queue("ops")
    subject = "Line one\r\nline\ttwo " + "x" * 200

    sns.sns_publish(topic_arn=topic, subject=subject, message="m", attributes={}, group_id="g", dedup_id="d")

    [got] = received(queue)
    assert got["Subject"].startswith("Line one line two xxx")
    assert len(got["Subject"]) == 99 and got["Subject"].endswith("…")


@mock_aws
def test_fifo_topic_gets_group_and_dedup_ids_and_drops_a_repeat():
    topic, queue = topic_with_queue("ops", fifo=True)
    long_key = "event:1:" + "k" * 200

    for _ in range(2):  # a resend after a crash, within SNS's five-minute window
        sns.sns_publish(topic_arn=topic, subject="s", message="m", attributes={}, group_id="SD-7", dedup_id=long_key)
    sns.sns_publish(topic_arn=topic, subject="s", message="m", attributes={}, group_id="SD-7", dedup_id="other")

    first, second = received(queue)
    assert first["sqs"]["MessageGroupId"] == "SD-7"
    assert first["sqs"]["MessageDeduplicationId"] == hashlib.sha256(long_key.encode()).hexdigest()  # over 128
    assert second["sqs"]["MessageDeduplicationId"] == "other"


@mock_aws
def test_a_body_over_256_kb_is_cut_with_a_note_so_that_it_still_goes():
    topic, queue = topic_with_queue("ops")
    body = "link first\n" + "é" * 200_000  # 400 KB of two-byte characters

    sns.sns_publish(topic_arn=topic, subject="s", message=body, attributes=ATTRIBUTES, group_id="g", dedup_id="d")

    [got] = received(queue)
    assert got["Message"].startswith("link first\néé")
    assert got["Message"].endswith("the rest is on the ticket]")
    attributes = sum(len(f"{n}String{v}".encode()) for n, v in ATTRIBUTES.items() if v)
    assert len(got["Message"].encode()) + attributes <= sns.MESSAGE_MAX_BYTES


@mock_aws
def test_the_topic_region_is_used():
    topic, queue = topic_with_queue("ops", region="eu-west-1")
    sns.sns_publish(topic_arn=topic, subject="s", message="m", attributes={}, group_id="g", dedup_id="d")
    assert len(received(queue, region="eu-west-1")) == 1


@mock_aws
def test_a_missing_topic_is_a_readable_aws_error():
    with pytest.raises(AwsError, match="AWS refused: NotFound"):
        sns.sns_publish(
            topic_arn="arn:aws:sns:us-east-1:123456789012:gone",
            subject="s",
            message="m",
            attributes={},
            group_id="g",
            dedup_id="d",
        )


def test_a_malformed_arn_is_refused_before_calling_aws():
    with pytest.raises(AwsError, match="is not an SNS topic ARN"):
        sns.sns_publish(
            topic_arn="arn:aws:sqs:us-east-1:123456789012:q",
            subject="s",
            message="m",
            attributes={},
            group_id="g",
            dedup_id="d",
        )


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("SD-12", True),
        ("event:12:channel:3", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("naïve", False),
        ("with space", False),
    ],
)
def test_fifo_ids_are_kept_when_sns_accepts_them_else_hashed(value, kept):
    assert (sns.fifo_id(value) == value) is kept
    assert len(sns.fifo_id(value)) <= 128
