"""SMS and voice through AWS End User Messaging SMS and Voice, against botocore's Stubber (moto does not implement
pinpoint-sms-voice-v2): the parameters as the service model has them, and its refusals as AWS words them."""

from typing import Any

import pytest
from botocore.stub import Stubber

from awsgateway import clients, sms_voice
from awsgateway.errors import AwsError, AwsThrottled
from awsgateway.sms_voice import AwsOptedOut, AwsSpendLimitReached, sms_send, voice_send

ORIGIN = "arn:aws:sms-voice:eu-west-1:123456789012:phone-number/phone-abc123"
MESSAGE_ID = "0a1b2c3d-1111-2222-3333-444455556666"


@pytest.fixture
def configured(settings):
    settings.SMS_ORIGINATION_IDENTITY = ORIGIN
    settings.SMS_CONFIGURATION_SET = "supportdesk-pages"
    settings.SMS_REGION = "eu-west-1"
    settings.SMS_MAX_PRICE = "0.50"
    settings.VOICE_MAX_PRICE_PER_MINUTE = "0.10"
    settings.VOICE_ID = "AMY"


@pytest.fixture
def stub(monkeypatch, configured):
    client: Any = clients.client_for(clients.AccountAccess(account_id=""), sms_voice.SERVICE, region="eu-west-1")
    monkeypatch.setattr(sms_voice, "client_for", lambda *args, **kwargs: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_an_sms_goes_transactional_from_the_origination_identity_with_the_key_in_context(stub):
    stub.add_response(
        "send_text_message",
        {"MessageId": MESSAGE_ID},
        {
            "DestinationPhoneNumber": "+447911123456",
            "OriginationIdentity": ORIGIN,
            "ConfigurationSetName": "supportdesk-pages",
            "MessageBody": "SD-1 SEV1: Checkout down\nAck: https://x/p/SD-1/a.b",
            "MessageType": "TRANSACTIONAL",
            "MaxPrice": "0.50",
            "Context": {"supportdesk": "page:1:1:sms_to"},
        },
    )

    assert (
        sms_send(
            destination="+447911123456",
            body="SD-1 SEV1: Checkout down\nAck: https://x/p/SD-1/a.b",
            key="page:1:1:sms_to",
        )
        == MESSAGE_ID
    )


def test_a_call_reads_the_text_with_the_configured_voice(stub):
    stub.add_response(
        "send_voice_message",
        {"MessageId": MESSAGE_ID},
        {
            "DestinationPhoneNumber": "+14155550100",
            "OriginationIdentity": ORIGIN,
            "ConfigurationSetName": "supportdesk-pages",
            "MessageBody": "This is Supportdesk.",
            "MessageBodyTextType": "TEXT",
            "VoiceId": "AMY",
            "MaxPricePerMinute": "0.10",
            "Context": {"supportdesk": "page:1:2:call_to"},
        },
    )

    assert voice_send(destination="+14155550100", body="This is Supportdesk.", key="page:1:2:call_to") == MESSAGE_ID


def test_an_opted_out_number_is_a_refusal_said_plainly(stub):
    stub.add_client_error(
        "send_text_message",
        service_error_code="ConflictException",
        service_message="The destination phone number is opted out.",
        http_status_code=400,
        modeled_fields={
            "Reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT",
            "ResourceType": "opt-out-list",
            "ResourceId": "Default",
        },
    )

    with pytest.raises(AwsOptedOut, match="The number opted out \\(it replied STOP\\)"):
        sms_send(destination="+447911123456", body="x", key="k")


@pytest.mark.parametrize(
    ("operation", "reason", "what"),
    [
        ("send_text_message", "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT", "SMS"),
        ("send_voice_message", "MONTHLY_SPEND_LIMIT_REACHED_FOR_VOICE", "calls"),
    ],
)
def test_the_monthly_spend_limit_is_a_refusal_for_this_message(stub, operation, reason, what):
    stub.add_client_error(
        operation,
        service_error_code="ServiceQuotaExceededException",
        service_message="Monthly spend limit reached.",
        http_status_code=402,
        modeled_fields={"Reason": reason},
    )
    send = sms_send if operation == "send_text_message" else voice_send

    with pytest.raises(AwsSpendLimitReached, match=f"monthly spend limit for {what}"):
        send(destination="+447911123456", body="x", key="k")


def test_throttling_is_retryable(stub):
    stub.add_client_error(
        "send_text_message",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=400,
    )

    with pytest.raises(AwsThrottled):
        sms_send(destination="+447911123456", body="x", key="k")


def test_other_refusals_keep_aws_words(stub):
    stub.add_client_error(
        "send_text_message",
        service_error_code="ValidationException",
        service_message="Invalid destination phone number.",
        http_status_code=400,
        modeled_fields={"Reason": "INVALID_PARAMETER"},
    )

    with pytest.raises(AwsError, match="AWS refused: ValidationException Invalid destination phone number"):
        sms_send(destination="+447911123456", body="x", key="k")


def test_a_call_without_an_origination_identity_is_refused_before_asking_aws(configured, settings):
    settings.SMS_ORIGINATION_IDENTITY = ""

    with pytest.raises(AwsError, match="Calls need SMS_ORIGINATION_IDENTITY"):
        voice_send(destination="+14155550100", body="x", key="k")
