"""Mail SES receives, pushed through SNS to /aws/sns/ (SES's documented "Received" notification): the inbox stores
it, the ingestion queue hands it to mail, once; the S3 action's message is fetched from S3 (moto)."""

import base64
import json

import boto3
import pytest
from moto import mock_aws

from awsgateway.errors import AwsUnavailable
from integrations.models import SnsMessage
from mail import transports
from mail.models import InboundEmail, Mailbox
from notifications.models import Notification
from tickets.models import Ticket

from ..mail.conftest import SAMPLES, sample
from .sns_fakes import notification, signer

pytestmark = pytest.mark.django_db
BUCKET = "supportdesk-inbound-mail"


@pytest.fixture
def ses_mailbox(queue) -> Mailbox:
    return Mailbox.objects.create(
        address="support@example.net", queue=queue, transport=Mailbox.Transport.SES, allowed_domains="example.com"
    )


def ses_received(raw: bytes, *, encoding: str = "UTF8", **receipt) -> dict:
    """SES's notification, as docs/aws.md#ses-receiving shows it, with this message as its content."""
    payload = json.loads((SAMPLES / "ses_received.json").read_text())
    payload["receipt"] |= receipt
    payload["receipt"]["action"]["encoding"] = encoding
    payload["content"] = base64.b64encode(raw).decode() if encoding == "BASE64" else raw.decode()
    return payload


def push(post, broker, payload: dict, *, s3_objects: dict[str, bytes] | None = None) -> SnsMessage:
    """Pushed to /aws/sns/, then ingested; with ``s3_objects``, S3 (moto) holds them while it is ingested (moto
    would also answer SNS's certificate fetch, so only then)."""
    assert post(signer().sign(notification(payload))).status_code == 200
    if s3_objects is None:
        broker.work()
    else:
        with mock_aws():
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket=BUCKET)
            for key, body in s3_objects.items():
                s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            broker.work()
    return SnsMessage.objects.latest("pk")


@pytest.mark.parametrize("encoding", ["UTF8", "BASE64"])
def test_mail_ses_received_becomes_a_ticket_once(post, topic, aws, broker, ses_mailbox, encoding):
    payload = ses_received(sample("plain"), encoding=encoding)
    # when: pushed, then pushed again by SES under a new SNS message id (its retry)
    row = push(post, broker, payload)
    again = push(post, broker, payload)
    # then
    ticket = Ticket.objects.get()
    assert row.outcome == f"email opened {ticket.reference}"
    assert again.outcome == f"email opened {ticket.reference}"  # the same row: nothing new
    assert (ticket.title, ticket.queue) == ("VPN drops every ten minutes", ses_mailbox.queue)
    assert InboundEmail.objects.get().delivery_id == "ses:o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1"


@pytest.mark.parametrize(
    ("receipt", "why"),
    [
        ({"spamVerdict": {"status": "FAIL"}}, "SES judged it to be spam."),
        ({"virusVerdict": {"status": "FAIL"}}, "SES found a virus in it."),
        (
            {"dmarcVerdict": {"status": "FAIL"}, "dmarcPolicy": "reject"},
            "Its sender's domain says it did not send it (DMARC failed).",
        ),
    ],
)
def test_spam_viruses_and_forged_senders_are_refused_without_a_reply(
    post, topic, aws, broker, ses_mailbox, receipt, why
):
    row = push(post, broker, ses_received(sample("plain"), **receipt))
    assert row.outcome == f"email refused: {why}"
    assert not Ticket.objects.exists()
    assert not Notification.objects.exists()  # a reply to spam or a forged sender is backscatter


def test_mail_for_no_mailbox_is_ignored(post, topic, aws, broker, ses_mailbox):
    ses_mailbox.enabled = False
    ses_mailbox.save()
    row = push(post, broker, ses_received(sample("plain")))
    assert row.outcome == "ignored: no enabled SES mailbox for support@example.net"
    assert not InboundEmail.objects.exists()


def s3_action(key: str) -> dict:
    return {
        "action": {
            "type": "S3",
            "topicArn": "arn:aws:sns:us-east-1:123456789012:supportdesk-events",
            "bucketName": BUCKET,
            "objectKeyPrefix": "inbound",
            "objectKey": key,
        }
    }


def test_the_s3_action_message_is_read_from_s3(post, topic, aws, broker, ses_mailbox):
    key = "inbound/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1"
    payload = ses_received(b"") | {"receipt": ses_received(b"")["receipt"] | s3_action(key)}
    del payload["content"]  # the S3 action carries no content
    # when
    row = push(post, broker, payload, s3_objects={key: sample("attachments")})
    # then
    ticket = Ticket.objects.get()
    assert row.outcome == f"email opened {ticket.reference}"
    assert ticket.title == "VPN logs attached"
    assert sorted(a.filename for a in ticket.attachments.all()) == ["tunnel.log", "vpn-config.pdf"]


def test_a_missing_s3_object_is_refused_and_an_outage_retried(post, topic, aws, broker, ses_mailbox, monkeypatch):
    payload = ses_received(b"") | {"receipt": ses_received(b"")["receipt"] | s3_action("inbound/gone")}
    del payload["content"]
    row = push(post, broker, payload, s3_objects={})
    assert row.outcome.startswith("refused: the message could not be read:")

    def down(**kwargs):
        raise AwsUnavailable("AWS is unreachable; will retry.")

    monkeypatch.setattr(transports, "s3_object_read", down)
    payload["mail"]["messageId"] = "second"
    row = push(post, broker, payload)
    assert (row.outcome, row.ingested_at) == ("queued", None)  # pending: its task retries, the sweep after
    assert not InboundEmail.objects.exists()


def test_a_50_mb_message_in_s3_is_refused_without_being_read_whole(post, topic, aws, broker, ses_mailbox):
    key = "inbound/big"
    payload = ses_received(b"") | {"receipt": ses_received(b"")["receipt"] | s3_action(key)}
    del payload["content"]
    big = sample("plain") + b"A" * (50 * 1024 * 1024)
    # when
    row = push(post, broker, payload, s3_objects={key: big})
    # then
    assert row.outcome == "email refused: Your message (50 MB) is larger than the 40 MB we accept by email."
    email = InboundEmail.objects.get()
    assert (email.size, len(bytes(email.raw)), email.sender) == (len(big), 64 * 1024, "jo.bloggs@example.com")
