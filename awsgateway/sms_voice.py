"""SMS and voice messages through AWS End User Messaging SMS and Voice (pinpoint-sms-voice-v2), with the server's
own credentials. What AWS says about opt-outs and spend limits is translated here (docs/aws.md#sms-and-voice)."""

from dataclasses import dataclass

from botocore.exceptions import ClientError
from django.conf import settings

from .clients import AccountAccess, client_for
from .errors import AwsError, translated_errors

SERVICE = "pinpoint-sms-voice-v2"
SMS_BODY_MAX = 1600  # MessageBody of SendTextMessage; longer bodies are cut with a note
VOICE_BODY_MAX = 6000  # MessageBody of SendVoiceMessage (TEXT)
CONTEXT_VALUE_MAX = 800  # a Context value, echoed in delivery events; the outbox key fits


class AwsOptedOut(AwsError):
    """The destination texted STOP (or is on the opt-out list): AWS refuses every message to it."""


class AwsSpendLimitReached(AwsError):
    """The account's monthly spend limit for this kind of message is reached: nothing more goes this month."""


@dataclass(frozen=True)
class SmsVoiceSettings:
    origination_identity: str  # a phone number, sender id, pool id or their ARN
    configuration_set: str
    region: str
    max_price: str  # SMS, per message part, in USD (e.g. "0.50"); "" for no cap
    max_price_per_minute: str  # voice, per minute
    voice_id: str


def configured() -> SmsVoiceSettings:
    return SmsVoiceSettings(
        origination_identity=settings.SMS_ORIGINATION_IDENTITY,
        configuration_set=settings.SMS_CONFIGURATION_SET,
        region=settings.SMS_REGION,
        max_price=settings.SMS_MAX_PRICE,
        max_price_per_minute=settings.VOICE_MAX_PRICE_PER_MINUTE,
        voice_id=settings.VOICE_ID,
    )


def _common(conf: SmsVoiceSettings, *, destination: str, key: str) -> dict:
    params: dict = {"DestinationPhoneNumber": destination, "Context": {"supportdesk": key[:CONTEXT_VALUE_MAX]}}
    if conf.origination_identity:
        params["OriginationIdentity"] = conf.origination_identity
    if conf.configuration_set:
        params["ConfigurationSetName"] = conf.configuration_set
    return params


def _cut(body: str, limit: int) -> str:
    return body if len(body) <= limit else body[: limit - 1] + "…"


def _send(operation: str, params: dict, conf: SmsVoiceSettings) -> str:
    # once: a retry inside botocore after a lost answer would send a second SMS; the outbox retries, keyed
    client = client_for(AccountAccess(account_id=""), SERVICE, region=conf.region or None, once=True)
    with translated_errors():
        try:
            return getattr(client, operation)(**params)["MessageId"]
        except ClientError as exc:
            if (refusal := _refusal(exc)) is not None:
                raise refusal from exc
            raise


def _refusal(exc: ClientError) -> AwsError | None:
    """The two refusals a page must say plainly; everything else goes through the shared translation."""
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    reason = str(exc.response.get("Reason") or error.get("Reason") or "")  # modeled fields sit at the top
    if code == "ConflictException" and reason == "DESTINATION_PHONE_NUMBER_OPTED_OUT":
        return AwsOptedOut(
            "The number opted out (it replied STOP): AWS sends it nothing until it replies START or is taken off "
            "the opt-out list."
        )
    if code == "ServiceQuotaExceededException" and reason.startswith("MONTHLY_SPEND_LIMIT_REACHED"):
        kind = "calls" if reason.endswith("VOICE") else "SMS"
        return AwsSpendLimitReached(
            f"The AWS account reached its monthly spend limit for {kind} ({reason}): nothing more is sent until "
            "the limit is raised in AWS End User Messaging SMS and Voice."
        )
    return None


def sms_send(*, destination: str, body: str, key: str) -> str:
    """One transactional SMS; returns AWS's MessageId. ``key`` travels in Context, so delivery events name it."""
    conf = configured()
    params = _common(conf, destination=destination, key=key) | {
        "MessageBody": _cut(body, SMS_BODY_MAX),
        "MessageType": "TRANSACTIONAL",  # pages are not marketing: delivered in quiet hours, other routes
    }
    if conf.max_price:
        params["MaxPrice"] = conf.max_price
    return _send("send_text_message", params, conf)


def voice_send(*, destination: str, body: str, key: str) -> str:
    """One call that reads ``body`` out (text, not SSML); returns AWS's MessageId. A call needs an origination
    identity that can call (a phone number or pool, not a sender id)."""
    conf = configured()
    if not conf.origination_identity:
        raise AwsError("Calls need SMS_ORIGINATION_IDENTITY: a phone number (or pool) that can make voice calls.")
    params = _common(conf, destination=destination, key=key) | {
        "MessageBody": _cut(body, VOICE_BODY_MAX),
        "MessageBodyTextType": "TEXT",
        "VoiceId": conf.voice_id,
    }
    if conf.max_price_per_minute:
        params["MaxPricePerMinute"] = conf.max_price_per_minute
    return _send("send_voice_message", params, conf)
