"""SNS topics with an SQS queue subscribed, to read what subscribers receive (moto in tests, a moto server in
the benchmark)."""

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server of the test's own, on a spare port (for other processes: a worker, a benchmark); its URL."""
    port = free_port()
    process = subprocess.Popen(
        [Path(sys.executable).parent / "moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                requests.get(f"{url}/moto-api/", timeout=1)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def topic_with_queue(name: str, *, fifo: bool = False, region: str = "us-east-1", endpoint_url: str | None = None):
    """A topic and a queue subscribed to it (raw delivery off: the SQS body is SNS's JSON envelope, with Subject
    and MessageAttributes); returns the topic ARN and the queue URL."""
    sns = boto3.client("sns", region_name=region, endpoint_url=endpoint_url)
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)
    suffix, fifo_attributes = (".fifo", {"FifoQueue": "true"}) if fifo else ("", {})
    topic = sns.create_topic(Name=name + suffix, Attributes={"FifoTopic": "true"} if fifo else {})["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name + suffix, Attributes=fifo_attributes)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue_url


def received(queue_url: str, *, region: str = "us-east-1", endpoint_url: str | None = None) -> list[dict[str, Any]]:
    """Every message in the queue, each SNS's envelope plus the SQS attributes (FIFO group and dedup ids)."""
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)
    messages = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
        "Messages"
    ):
        for m in batch:
            messages.append(json.loads(m["Body"]) | {"sqs": m.get("Attributes", {})})
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    return messages
