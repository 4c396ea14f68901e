"""Inbound Amazon SNS over HTTPS: parse and verify a delivery, fetch signing certificates, confirm subscriptions.

A certificate is trusted because it came over verified TLS from an SNS host, checked before anything is
fetched; AWS's validators do the same, checking no chain past TLS (docs/aws.md#sns-https-deliveries). A refusal is an
``SnsRejected`` subclass whose ``str()`` says why; a fetch that failed on the way raises ``AwsUnavailable``,
which is worth retrying.
"""

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.core.cache import cache

from .errors import AwsError, AwsUnavailable

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"

# The signed keys in signing order (docs/aws.md#sns-https-deliveries); Subject is signed only when present.
_SIGNED_KEYS = {
    NOTIFICATION: ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    SUBSCRIPTION_CONFIRMATION: ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    UNSUBSCRIBE_CONFIRMATION: ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
_OPTIONAL_KEYS = frozenset({"Subject"})
_SIGNATURE_KEYS = ("Signature", "SignatureVersion", "SigningCertURL")
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}

# Any amazonaws.com host would admit S3 buckets; only SNS's own regional hosts serve its certificates.
_SNS_HOST = re.compile(r"sns\.[a-zA-Z0-9\-]{3,}\.amazonaws\.com(\.cn)?")

# SNS stops retrying an HTTPS delivery within 3,600 s (a hard limit), and Timestamp is the publish time.
MAX_AGE = timedelta(hours=1)
CLOCK_SKEW = timedelta(minutes=5)

_TIMEOUT = (3.05, 5)  # connect, read: SNS waits about 15 s for our answer
_MAX_ANSWER_BYTES = 64 * 1024  # a certificate is about 2 KB, a confirmation's answer less
_CERTIFICATE_CACHE_SECONDS = 24 * 3600  # AWS rotates certificates under new URLs; a day bounds a bad entry

Fetch = Callable[[str], bytes]


class SnsRejected(AwsError):
    """A delivery Supportdesk refuses. A body refused before it parsed carries what it said of its topic and id."""

    def __init__(self, reason: str, *, topic_arn: str = "", message_id: str = "") -> None:
        super().__init__(reason)
        self.topic_arn = topic_arn
        self.message_id = message_id


class SnsMalformed(SnsRejected):
    """Not an SNS delivery: not JSON, missing or mistyped keys, an unknown type or signature version."""


class SnsUnsigned(SnsMalformed):
    """No Type or signature: raw message delivery is on, or it never came from SNS."""


class SnsUrlRefused(SnsRejected):
    """A SigningCertURL or SubscribeURL that is not https on an SNS host: never fetched."""


class SnsCertificateRefused(SnsRejected):
    """The certificate is not a usable RSA certificate, or is outside its validity period."""


class SnsFetchRefused(SnsRejected):
    """An SNS host answered a certificate fetch or a subscription confirmation with a refusal."""


class SnsSignatureInvalid(SnsRejected):
    """The signature does not match the message: forged or tampered with."""


class SnsStale(SnsRejected):
    """Timestamp outside the window SNS retries in: a replay, or a clock far off."""


@dataclass(frozen=True)
class SnsEnvelope:
    """One parsed SNS delivery; ``message`` is the payload as published (for EventBridge, the event as JSON)."""

    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: datetime
    subscribe_url: str  # empty for notifications
    signature: bytes
    signature_version: str
    signing_cert_url: str
    string_to_sign: str


def _ids(raw: dict[str, Any]) -> dict[str, str]:
    # Best effort, for the log line of a refused body
    topic, message_id = raw.get("TopicArn"), raw.get("MessageId")
    return {
        "topic_arn": topic[:256] if isinstance(topic, str) else "",
        "message_id": message_id[:100] if isinstance(message_id, str) else "",
    }


def sns_message_parse(*, body: bytes) -> SnsEnvelope:
    """Read a delivery's body without fetching anything; raises ``SnsMalformed`` for anything not SNS-shaped."""
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise SnsMalformed("The body is not JSON.") from exc
    if not isinstance(raw, dict):
        raise SnsMalformed("The body is not a JSON object.")
    ids = _ids(raw)
    kind = raw.get("Type")
    if kind is None or "Signature" not in raw:
        raise SnsUnsigned("No Type or Signature: turn raw message delivery off for this subscription.", **ids)
    if not isinstance(kind, str) or kind not in _SIGNED_KEYS:
        raise SnsMalformed(f"Unknown message type {str(kind)[:40]!r}.", **ids)
    fields: dict[str, str] = {}
    for key in (*_SIGNED_KEYS[kind], *_SIGNATURE_KEYS):
        value = raw.get(key)
        if value is None and key in _OPTIONAL_KEYS:
            continue  # an absent or null Subject is not signed
        if not isinstance(value, str):
            raise SnsMalformed(f"{key} is missing or not a string.", **ids)
        fields[key] = value
    if len(fields["MessageId"]) > 100 or len(fields["TopicArn"]) > 256:
        raise SnsMalformed("MessageId or TopicArn is too long.", **ids)
    if fields["SignatureVersion"] not in _HASHES:
        raise SnsMalformed(f"Unsupported SignatureVersion {fields['SignatureVersion'][:10]!r}.", **ids)
    try:
        signature = base64.b64decode(fields["Signature"], validate=True)
        timestamp = datetime.fromisoformat(fields["Timestamp"])
    except (binascii.Error, ValueError) as exc:
        raise SnsMalformed("Signature is not base64 or Timestamp is not ISO 8601.", **ids) from exc
    if timestamp.tzinfo is None:
        raise SnsMalformed("Timestamp has no time zone.", **ids)
    return SnsEnvelope(
        type=kind,
        message_id=fields["MessageId"],
        topic_arn=fields["TopicArn"],
        message=fields["Message"],
        timestamp=timestamp,
        subscribe_url=fields.get("SubscribeURL", ""),
        signature=signature,
        signature_version=fields["SignatureVersion"],
        signing_cert_url=fields["SigningCertURL"],
        string_to_sign="".join(f"{key}\n{fields[key]}\n" for key in _SIGNED_KEYS[kind] if key in fields),
    )


def sns_message_verify(*, message: SnsEnvelope, now: datetime, fetch: Fetch | None = None) -> None:
    """Check the certificate URL, the age, the certificate and the signature, in that order.

    ``fetch`` gets a certificate's PEM by URL (tests inject one); by default, over verified TLS.
    """
    _require_sns_url(message.signing_cert_url, "SigningCertURL", path_suffix=".pem")
    if now - message.timestamp > MAX_AGE + CLOCK_SKEW:
        raise SnsStale(f"Published at {message.timestamp.isoformat()}: older than SNS retries.")
    if message.timestamp - now > CLOCK_SKEW:
        raise SnsStale(f"Published at {message.timestamp.isoformat()}: in the future.")
    certificate = _certificate(message.signing_cert_url, now, fetch or sns_certificate_fetch)
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SnsCertificateRefused("The signing certificate has no RSA key.")
    algorithm = _HASHES[message.signature_version]()
    try:
        public_key.verify(message.signature, message.string_to_sign.encode(), padding.PKCS1v15(), algorithm)
    except InvalidSignature as exc:
        raise SnsSignatureInvalid("The signature does not match the message.") from exc


def sns_subscription_confirm(*, message: SnsEnvelope) -> None:
    """Visit a verified confirmation's SubscribeURL, which must be ConfirmSubscription on an SNS host."""
    _require_sns_url(message.subscribe_url, "SubscribeURL", action="ConfirmSubscription")
    _https_get(message.subscribe_url, "confirming the subscription")


def sns_certificate_fetch(url: str) -> bytes:
    """A signing certificate's PEM, over HTTPS with the usual certificate checks (certifi's roots). With
    AWS_ENDPOINT_URL set (the local sandbox), from there, under /sns/: every AWS call goes there already."""
    if endpoint := getattr(settings, "AWS_ENDPOINT_URL", None):
        return _https_get(f"{endpoint.rstrip('/')}/sns{urlsplit(url).path}", "fetching the signing certificate")
    return _https_get(url, "fetching the signing certificate")


def _require_sns_url(url: str, name: str, *, path_suffix: str = "", action: str = "") -> None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme != "https"
        or parts.username is not None
        or port not in (None, 443)
        or not _SNS_HOST.fullmatch(parts.hostname or "")
        or not parts.path.endswith(path_suffix)
        or (path_suffix and parts.query)
        or (action and parse_qs(parts.query).get("Action") != [action])
    ):
        raise SnsUrlRefused(f"{name} {url[:200]!r} is not an https URL on an SNS host.")


def _certificate(url: str, now: datetime, fetch: Fetch) -> x509.Certificate:
    key = "sns-cert:" + hashlib.sha256(url.encode()).hexdigest()
    pem = cache.get(key)
    fetched = pem is None
    if fetched:
        pem = fetch(url)
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise SnsCertificateRefused("The signing certificate is not a PEM certificate.") from exc
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SnsCertificateRefused("The signing certificate is outside its validity period.")
    if fetched:
        remaining = (certificate.not_valid_after_utc - now).total_seconds()
        cache.set(key, pem, timeout=max(1, min(_CERTIFICATE_CACHE_SECONDS, int(remaining))))
    return certificate


def _https_get(url: str, doing: str) -> bytes:
    try:
        # No redirects: the host was checked, where it might send us was not.
        with requests.get(url, timeout=_TIMEOUT, allow_redirects=False, stream=True, verify=True) as response:
            if response.status_code >= 500:
                raise AwsUnavailable(f"SNS answered {response.status_code} {doing}; SNS will retry.")
            if response.status_code != 200:
                raise SnsFetchRefused(f"SNS answered {response.status_code} {doing}.")
            body = b""
            for chunk in response.iter_content(chunk_size=8192):
                body += chunk
                if len(body) > _MAX_ANSWER_BYTES:
                    raise SnsFetchRefused(f"SNS answered more than {_MAX_ANSWER_BYTES} bytes {doing}.")
            return body
    except requests.RequestException as exc:
        raise AwsUnavailable(f"SNS could not be reached {doing}; SNS will retry.") from exc
