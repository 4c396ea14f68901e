import json
import logging
from types import SimpleNamespace

import boto3
import pytest
import requests
import responses
from django.utils import timezone
from moto import mock_aws
from moto.sns import models as moto_sns_models

from integrations.models import SnsMessage, SnsTopic
from integrations.push.views import MAX_BODY_BYTES
from tickets.models import Ticket, TicketEvent

from .fake_aws import T0_ISO, T0_RFC1123
from .sns_fakes import (
    CERT_URL,
    SUBSCRIBE_URL,
    TOPIC_ARN,
    confirmation,
    forger,
    notification,
    post_as_sns,
    signer,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker")]  # nothing reaches the real broker

URL = "/aws/sns/"


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "integrations.sns"]


def _fetched(aws, url: str) -> int:
    return sum(call.request.url == url for call in aws.calls)


def test_a_subscription_to_a_registered_topic_is_confirmed(client, topic, aws):
    response = post_as_sns(client, signer().sign(confirmation()))
    assert response.status_code == 200
    assert _fetched(aws, SUBSCRIBE_URL) == 1
    topic.refresh_from_db()
    assert topic.confirmed_at is not None
    assert SnsMessage.objects.get(topic=topic).outcome == "confirmed"


def test_a_replayed_confirmation_is_not_visited_again(client, topic, aws):
    fields = signer().sign(confirmation())
    assert post_as_sns(client, fields).status_code == 200
    assert post_as_sns(client, fields).status_code == 200
    assert _fetched(aws, SUBSCRIBE_URL) == 1
    assert _fetched(aws, CERT_URL) == 1  # cached
    assert SnsMessage.objects.count() == 1


def test_a_new_confirmation_for_a_confirmed_topic_confirms_again(client, topic, aws):
    # say, after someone deleted the subscription and subscribed the endpoint again: AWS takes it as a no-op
    post_as_sns(client, signer().sign(confirmation()))
    first = SnsTopic.objects.get().confirmed_at
    assert post_as_sns(client, signer().sign(confirmation())).status_code == 200
    assert _fetched(aws, SUBSCRIBE_URL) == 2
    assert SnsTopic.objects.get().confirmed_at > first


@pytest.mark.parametrize("enabled", [None, False], ids=["unknown", "disabled"])
def test_topics_an_admin_did_not_allow_are_refused_before_anything_is_fetched(client, aws, caplog, enabled):
    if enabled is not None:
        SnsTopic.objects.create(topic_arn=TOPIC_ARN, enabled=enabled)
    fields = signer().sign(confirmation())
    with caplog.at_level(logging.WARNING, logger="integrations.sns"):
        response = post_as_sns(client, fields)
    assert response.status_code == 403
    assert not aws.calls
    assert not SnsMessage.objects.exists()
    (line,) = _lines(caplog)
    assert "SnsTopicRefused" in line and TOPIC_ARN in line and fields["MessageId"] in line


def test_a_forged_confirmation_is_refused_and_logged(client, topic, aws, caplog):
    fields = forger().sign(confirmation())
    with caplog.at_level(logging.WARNING, logger="integrations.sns"):
        response = post_as_sns(client, fields)
    assert response.status_code == 403
    assert _fetched(aws, SUBSCRIBE_URL) == 0
    assert SnsTopic.objects.get().confirmed_at is None
    (line,) = _lines(caplog)
    assert "403 (SnsSignatureInvalid)" in line and TOPIC_ARN in line and fields["MessageId"] in line


def test_a_tampered_notification_is_refused(client, topic, aws):
    fields = signer().sign(notification("hello"))
    fields["Message"] = "hello, changed"
    assert post_as_sns(client, fields).status_code == 403
    assert not SnsMessage.objects.exists()


@pytest.mark.parametrize(
    "cert_url",
    [
        "https://sns.evil.com/SimpleNotificationService-1.pem",
        "https://s3.amazonaws.com/bucket/SimpleNotificationService.pem",
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.der",
    ],
)
def test_a_certificate_off_the_sns_hosts_is_refused_unfetched(client, topic, aws, cert_url):
    assert post_as_sns(client, signer().sign(notification("hello"), cert_url=cert_url)).status_code == 403
    assert not aws.calls


def test_a_stale_message_is_refused(client, topic, aws):
    fields = signer().sign(notification("hello", when=timezone.now() - timezone.timedelta(hours=2)))
    assert post_as_sns(client, fields).status_code == 403
    assert not aws.calls


def test_a_message_is_taken_once(post, topic, aws, broker):
    fields = signer().sign(notification("Test message from the SNS console"))
    assert post(fields).status_code == 200
    assert post(fields).status_code == 200
    assert broker.work() == ["ignored: not an EventBridge event"]  # queued once
    row = SnsMessage.objects.get()
    assert (row.message_id, row.kind) == (fields["MessageId"], "Notification")
    assert row.outcome == "ignored: not an EventBridge event"
    assert SnsTopic.objects.get().last_message_at is not None


def test_an_unsubscribe_confirmation_is_verified_logged_and_not_visited(client, topic, aws, caplog):
    with caplog.at_level(logging.WARNING, logger="integrations.sns"):
        response = post_as_sns(client, signer().sign(confirmation(kind="UnsubscribeConfirmation")))
    assert response.status_code == 200
    assert _fetched(aws, SUBSCRIBE_URL) == 0
    assert "unsubscribed" in _lines(caplog)[0]
    assert not SnsMessage.objects.exists()
    assert SnsTopic.objects.get().confirmed_at is None


@pytest.mark.parametrize(
    "answer", [{"status": 503}, {"body": requests.ConnectionError("unreachable")}, {"body": requests.Timeout()}]
)
def test_an_sns_host_out_of_reach_is_a_503_so_sns_retries(client, topic, aws, answer):
    aws.replace(responses.GET, SUBSCRIBE_URL, **answer)
    fields = signer().sign(confirmation())
    assert post_as_sns(client, fields).status_code == 503
    assert not SnsMessage.objects.exists()  # the id is free for the retry
    assert SnsTopic.objects.get().confirmed_at is None

    aws.replace(responses.GET, SUBSCRIBE_URL, body="<ConfirmSubscriptionResponse/>")
    assert post_as_sns(client, fields).status_code == 200
    assert SnsTopic.objects.get().confirmed_at is not None


def test_a_certificate_out_of_reach_is_a_503(client, topic, aws):
    aws.replace(responses.GET, CERT_URL, body=requests.ConnectionError("unreachable"))
    assert post_as_sns(client, signer().sign(notification("hello"))).status_code == 503
    assert not SnsMessage.objects.exists()


def test_a_certificate_sns_does_not_have_is_refused(client, topic, aws):
    aws.replace(responses.GET, CERT_URL, status=404)
    assert post_as_sns(client, signer().sign(notification("hello"))).status_code == 403


def test_raw_message_delivery_is_refused(client, topic, aws, caplog):
    event = {"source": "aws.health", "detail-type": "AWS Health Event", "detail": {}}
    with caplog.at_level(logging.WARNING, logger="integrations.sns"):
        response = post_as_sns(client, event, message_type="Notification")
    assert response.status_code == 400
    assert "raw message delivery" in _lines(caplog)[0]
    assert not aws.calls


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00\x01",
        b"",
        b"not json",
        b"[]",
        b'[{"Type": "Notification"}]',
        b"42",
        b"null",
        b"[" * 50_000,
        b'{"Type": {"a": 1}, "Signature": []}',
        b'{"Type": "Notification", "Signature": "x", "MessageId": 5}',
    ],
)
def test_bad_bodies_are_a_400_never_a_500(client, topic, aws, body):
    assert post_as_sns(client, body, message_type="Notification").status_code == 400
    assert not aws.calls


@pytest.mark.parametrize("header", ["", "SubscriptionConfirmation"])
def test_the_message_type_header_must_agree_with_the_body(client, topic, aws, header):
    assert post_as_sns(client, signer().sign(notification("hello")), message_type=header).status_code == 400
    assert not aws.calls


def test_a_body_larger_than_sns_sends_is_a_413(client, topic, aws):
    body = json.dumps(notification("x" * MAX_BODY_BYTES)).encode()
    assert post_as_sns(client, body, message_type="Notification").status_code == 413


def test_the_endpoint_takes_posts_only(client):
    assert client.get(URL).status_code == 405


def test_a_delivery_from_motos_sns_is_taken(client, topic, monkeypatch):
    # moto signs like SNS (SHA256, its own certificate on sns.us-east-1.amazonaws.com) but leaves Subject out of
    # what it signs, so the message has none; and it sends no x-amz-sns-message-type header, so the shim adds it.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    posted = []
    monkeypatch.setattr(
        moto_sns_models, "requests", SimpleNamespace(post=lambda url, json, headers: posted.append(json))
    )
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        arn = sns.create_topic(Name="supportdesk-events")["TopicArn"]
        sns.subscribe(TopicArn=arn, Protocol="https", Endpoint="https://support.example.com/aws/sns/")
        sns.publish(TopicArn=arn, Message="Test message from moto")
        (delivery,) = posted
        response = post_as_sns(client, delivery)  # the certificate comes from moto, through the real fetcher
    assert arn == TOPIC_ARN
    assert response.status_code == 200
    assert SnsMessage.objects.get().message_id == delivery["MessageId"]


def test_admins_register_topics_on_a_page_that_names_the_endpoint(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/integrations/snstopic/add/")
    assert "https://testserver/aws/sns/" in page.content.decode()
    response = client.post("/admin/integrations/snstopic/add/", {"topic_arn": TOPIC_ARN, "enabled": "on"})
    assert response.status_code == 302
    assert SnsTopic.objects.get().enabled


def _health_event(account_id: str, **detail) -> dict:
    """An EventBridge Health event as SNS carries it (docs/aws.md#eventbridge-health-events)."""
    return {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "AWS Health Event",
        "source": "aws.health",
        "account": account_id,
        "time": T0_ISO,
        "region": "eu-west-1",
        "resources": ["i-0abc"],
        "detail": {
            "eventArn": "arn:aws:health:eu-west-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_1",
            "service": "EC2",
            "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
            "eventTypeCategory": "issue",
            "eventScopeCode": "ACCOUNT_SPECIFIC",
            "communicationId": "abc-1",
            "startTime": T0_RFC1123,
            "lastUpdatedTime": T0_RFC1123,
            "statusCode": "open",
            "eventRegion": "eu-west-1",
            "eventDescription": [{"language": "en_US", "latestDescription": "Instances may be impaired."}],
            "affectedEntities": [{"entityValue": "i-0abc", "status": "IMPAIRED"}],
            "affectedAccount": account_id,
            **detail,
        },
    }


def test_a_pushed_health_event_opens_a_ticket_and_pushing_it_again_changes_nothing(
    post, topic, aws, prod_account, broker
):
    event = _health_event(prod_account.account_id)
    first = signer().sign(notification(event))
    assert post(first).status_code == 200
    assert post(first).status_code == 200  # SNS redelivers: the same message id
    broker.work()
    assert post(signer().sign(notification(event))).status_code == 200  # EventBridge repeats: a new id
    broker.work()

    assert list(SnsMessage.objects.order_by("received_at").values_list("outcome", flat=True)) == ["opened", "unchanged"]
    ticket = Ticket.objects.get(kind=Ticket.Kind.AWS_HEALTH)
    assert "Instances may be impaired." in ticket.description
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1


def test_a_genuine_event_ingestion_cannot_use_is_taken_with_the_reason(post, topic, aws, prod_account, broker):
    fields = signer().sign(notification(_health_event(prod_account.account_id, eventArn="")))
    assert post(fields).status_code == 200
    assert broker.work() == ["refused: The Health event has no eventArn."]  # a retry would not help
    assert SnsMessage.objects.get().outcome == "refused: The Health event has no eventArn."
    assert not Ticket.objects.exists()
