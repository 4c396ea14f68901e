import json
from datetime import timedelta

import pytest
import requests
import responses
from django.utils import timezone

from awsgateway import sns_signature as sns
from awsgateway.errors import AwsUnavailable

from ..integrations.sns_fakes import CERT_URL, SUBSCRIBE_URL, confirmation, forger, notification, signer, timestamp

EVENT = {"source": "aws.health", "detail-type": "AWS Health Event", "detail": {"eventArn": "arn:aws:health:x"}}


class Fetcher:
    """Serves the signer's certificate and counts the fetches."""

    def __init__(self, pem: bytes | None = None) -> None:
        self.pem = signer().pem if pem is None else pem
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.pem


def _parse(fields: dict) -> sns.SnsEnvelope:
    return sns.sns_message_parse(body=json.dumps(fields).encode())


def _verify(fields: dict, fetch: Fetcher | None = None, now=None) -> None:
    sns.sns_message_verify(message=_parse(fields), now=now or timezone.now(), fetch=fetch or Fetcher())


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("extra", [{}, {"Subject": "Health event"}, {"Subject": None}], ids=["none", "some", "null"])
def test_genuine_notifications_verify_with_either_signature_version(version, extra):
    fields = signer().sign(notification(EVENT, **extra), version=version)
    message = _parse(fields)
    assert (message.type, json.loads(message.message)) == ("Notification", EVENT)
    fetch = Fetcher()
    sns.sns_message_verify(message=message, now=timezone.now(), fetch=fetch)
    assert fetch.urls == [CERT_URL]


@pytest.mark.parametrize("kind", ["SubscriptionConfirmation", "UnsubscribeConfirmation"])
def test_genuine_confirmations_verify_over_their_own_keys(kind):
    message = _parse(signer().sign(confirmation(kind=kind)))
    sns.sns_message_verify(message=message, now=timezone.now(), fetch=Fetcher())
    assert message.subscribe_url == SUBSCRIBE_URL


def test_a_signature_from_another_key_is_forged():
    with pytest.raises(sns.SnsSignatureInvalid):
        _verify(forger().sign(notification(EVENT)))


@pytest.mark.parametrize("key", ["Message", "TopicArn", "Subject", "Timestamp", "Token"])
def test_a_signed_value_changed_afterwards_fails(key):
    fields = signer().sign(confirmation() if key == "Token" else notification(EVENT))
    fields[key] = {
        "Message": json.dumps({**EVENT, "source": "aws.ec2"}),
        "TopicArn": "arn:aws:sns:us-east-1:210987654321:x",
        "Subject": "added after signing",
        "Timestamp": timestamp(timezone.now() - timedelta(minutes=1)),
        "Token": "another",
    }[key]
    with pytest.raises(sns.SnsSignatureInvalid):
        _verify(fields)


def test_an_unsigned_key_may_change():
    fields = signer().sign(notification(EVENT))
    fields["UnsubscribeURL"] = "https://example.com/"  # SNS does not sign it
    _verify(fields)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.evil.com/SimpleNotificationService-1.pem",
        "https://s3.amazonaws.com/my-bucket/SimpleNotificationService-1.pem",
        "https://my-bucket.s3.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-1.pem",
        "https://sns.eu.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.txt",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem?x=.pem",
        "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-1.pem",
        "https://evil.com@sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-east-1.amazonaws.com@evil.com/SimpleNotificationService-1.pem",
        "https://[::1/SimpleNotificationService-1.pem",
        "file:///etc/passwd.pem",
    ],
)
def test_a_certificate_off_the_sns_hosts_is_never_fetched(url):
    fetch = Fetcher()
    with pytest.raises(sns.SnsUrlRefused):
        _verify(signer().sign(notification(EVENT), cert_url=url), fetch)
    assert fetch.urls == []


@pytest.mark.parametrize(
    "host", ["sns.eu-west-1.amazonaws.com", "sns.cn-north-1.amazonaws.com.cn", "sns.us-gov-west-1.amazonaws.com"]
)
def test_every_regional_sns_host_serves_certificates(host):
    url = f"https://{host}/SimpleNotificationService-1.pem"
    fetch = Fetcher()
    _verify(signer().sign(notification(EVENT), cert_url=url), fetch)
    assert fetch.urls == [url]


@pytest.mark.parametrize(
    ("age", "accepted"),
    [
        (timedelta(minutes=50), True),
        (timedelta(hours=2), False),
        (timedelta(minutes=-4), True),
        (timedelta(minutes=-10), False),
    ],
)
def test_only_messages_from_the_window_sns_retries_in_are_taken(age, accepted):
    now = timezone.now()
    fields = signer().sign(notification(EVENT, when=now - age))
    fetch = Fetcher()
    if accepted:
        _verify(fields, fetch, now=now)
    else:
        with pytest.raises(sns.SnsStale):
            _verify(fields, fetch, now=now)
        assert fetch.urls == []


def test_a_certificate_outside_its_validity_period_is_refused():
    later = timezone.now() + timedelta(days=60)  # the fake certificate is valid for 30 days
    with pytest.raises(sns.SnsCertificateRefused, match="validity"):
        _verify(signer().sign(notification(EVENT, when=later)), now=later)


def test_a_certificate_that_is_not_one_is_refused():
    with pytest.raises(sns.SnsCertificateRefused, match="PEM"):
        _verify(signer().sign(notification(EVENT)), Fetcher(pem=b"<html>hello</html>"))


def test_certificates_are_fetched_once_per_url():
    fetch = Fetcher()
    _verify(signer().sign(notification(EVENT)), fetch)
    _verify(signer().sign(notification(EVENT)), fetch)
    assert fetch.urls == [CERT_URL]


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        (b"\xff\xfe\x00garbage", sns.SnsMalformed),
        (b"", sns.SnsMalformed),
        (b"Type=Notification", sns.SnsMalformed),
        (b"[]", sns.SnsMalformed),
        (b'"Notification"', sns.SnsMalformed),
        (b"null", sns.SnsMalformed),
        (b"[" * 100_000, sns.SnsMalformed),
        (json.dumps(EVENT).encode(), sns.SnsUnsigned),  # raw message delivery: the bare event
        (b'{"Type": "Notification", "Message": "hello"}', sns.SnsUnsigned),
        (b'{"Type": ["Notification"], "Signature": "x"}', sns.SnsMalformed),
        (b'{"Type": "Shout", "Signature": "x"}', sns.SnsMalformed),
    ],
)
def test_bodies_that_are_not_sns_deliveries_are_malformed(body, refusal):
    with pytest.raises(refusal):
        sns.sns_message_parse(body=body)


@pytest.mark.parametrize(
    "change",
    [
        {"MessageId": 42},
        {"Message": {"source": "aws.health"}},
        {"TopicArn": None},
        {"Subject": 7},
        {"SignatureVersion": "3"},
        {"SignatureVersion": 2},
        {"Signature": "not base64!"},
        {"Timestamp": "yesterday"},
        {"Timestamp": "2026-11-20T10:00:00"},
        {"MessageId": "x" * 101},
    ],
)
def test_missing_or_mistyped_keys_are_malformed(change):
    with pytest.raises(sns.SnsMalformed):
        _parse({**signer().sign(notification(EVENT)), **change})


def test_a_malformed_message_still_says_which_it_was_for_the_log():
    fields = {**signer().sign(notification(EVENT)), "SignatureVersion": "3"}
    with pytest.raises(sns.SnsMalformed) as refused:
        _parse(fields)
    assert (refused.value.topic_arn, refused.value.message_id) == (fields["TopicArn"], fields["MessageId"])


def test_a_missing_key_is_malformed():
    fields = signer().sign(confirmation())
    del fields["Token"]
    with pytest.raises(sns.SnsMalformed, match="Token"):
        _parse(fields)


@responses.activate
def test_the_certificate_comes_over_https_from_the_url():
    responses.get(CERT_URL, body=signer().pem)
    assert sns.sns_certificate_fetch(CERT_URL) == signer().pem


@pytest.mark.parametrize(
    ("answer", "refusal"),
    [
        ({"status": 404}, sns.SnsFetchRefused),
        ({"status": 301, "headers": {"Location": "https://evil.com/x.pem"}}, sns.SnsFetchRefused),
        ({"body": b"x" * 70_000}, sns.SnsFetchRefused),
        ({"status": 503}, AwsUnavailable),
        ({"body": requests.ConnectionError("refused")}, AwsUnavailable),
        ({"body": requests.Timeout()}, AwsUnavailable),
    ],
)
@responses.activate
def test_a_failed_fetch_is_refused_or_retryable(answer, refusal):
    responses.get(CERT_URL, **answer)
    with pytest.raises(refusal):
        sns.sns_certificate_fetch(CERT_URL)
    assert [call.request.url for call in responses.calls] == [CERT_URL]  # no redirect followed


@responses.activate
def test_confirming_visits_the_subscribe_url():
    responses.get(SUBSCRIBE_URL, body="<ConfirmSubscriptionResponse/>")
    sns.sns_subscription_confirm(message=_parse(signer().sign(confirmation())))
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.com/?Action=ConfirmSubscription",
        "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
        "https://sns.us-east-1.amazonaws.com/?Action=Publish&Message=hi",
        "https://sns.us-east-1.amazonaws.com/",
    ],
)
@responses.activate
def test_a_subscribe_url_that_is_not_a_confirmation_on_an_sns_host_is_never_visited(url):
    with pytest.raises(sns.SnsUrlRefused):
        sns.sns_subscription_confirm(message=_parse(signer().sign(confirmation(subscribe_url=url))))
    assert len(responses.calls) == 0
