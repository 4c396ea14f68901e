"""AWS End User Messaging SMS and Voice v2 through real boto3 clients: shapes, and the errors AWS answers with."""

import json
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta
from decimal import Decimal
from urllib.error import HTTPError

import botocore.session
import pytest
from botocore.exceptions import ClientError

from tools.sandbox.smsvoice import ORIGINATION_NUMBER, PHONE_NUMBER_ID, TEXT, VOICE

from .helpers import assert_valid, assert_valid_error

_MODEL = botocore.session.get_session().get_service_model("pinpoint-sms-voice-v2")
PAGER = "+12025550123"
SSML = '<speak>Supportdesk. <emphasis>SEV1</emphasis> on checkout. <break time="1s"/>Press 1.</speak>'


@pytest.fixture
def sms(live):
    return live.client("pinpoint-sms-voice-v2")


def _refusal(call) -> dict:
    """The error's parsed response, once it fits the error shape botocore's model gives its code."""
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    assert_valid_error(_MODEL, response)
    return response


def _received(live, to: str | None = None) -> list[dict]:
    query = f"?to={urllib.parse.quote(to)}" if to else ""
    with urllib.request.urlopen(f"{live.url}/phone/messages.json{query}") as response:
        return json.loads(response.read())["messages"]


def test_every_operation_answers_in_its_shape(sms):
    text = sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="SEV1 SD-7", MessageType="TRANSACTIONAL")
    assert_valid(sms, "SendTextMessage", text)
    call = sms.send_voice_message(
        DestinationPhoneNumber=PAGER,
        OriginationIdentity=ORIGINATION_NUMBER,
        MessageBody=SSML,
        MessageBodyTextType="SSML",
        VoiceId="MATTHEW",
    )
    assert_valid(sms, "SendVoiceMessage", call)
    assert len({uuid.UUID(text["MessageId"]), uuid.UUID(call["MessageId"])}) == 2
    limits = sms.describe_spend_limits()
    assert_valid(sms, "DescribeSpendLimits", limits)
    assert {limit["Name"] for limit in limits["SpendLimits"]} >= {
        "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT",
        "VOICE_MESSAGE_MONTHLY_SPEND_LIMIT",
    }
    numbers = sms.describe_phone_numbers()
    assert_valid(sms, "DescribePhoneNumbers", numbers)
    [number] = numbers["PhoneNumbers"]
    assert (number["PhoneNumber"], number["PhoneNumberId"]) == (ORIGINATION_NUMBER, PHONE_NUMBER_ID)
    assert set(number["NumberCapabilities"]) == {"SMS", "VOICE"}
    put = sms.put_opted_out_number(OptOutListName="Default", OptedOutNumber="+12025550999")
    assert_valid(sms, "PutOptedOutNumber", put)
    opted_out = sms.describe_opted_out_numbers(OptOutListName=put["OptOutListArn"])
    assert_valid(sms, "DescribeOptedOutNumbers", opted_out)
    assert [(o["OptedOutNumber"], o["EndUserOptedOut"]) for o in opted_out["OptedOutNumbers"]] == [
        ("+12025550999", False)
    ]


def test_a_text_and_a_call_reach_the_destination_phone_newest_first(live, sms):
    sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="SEV1 SD-7: checkout down", Context={"ref": "SD-7"})
    live.now += timedelta(seconds=1)
    sms.send_voice_message(
        DestinationPhoneNumber=PAGER, OriginationIdentity=PHONE_NUMBER_ID, MessageBody=SSML, MessageBodyTextType="SSML"
    )
    sms.send_text_message(DestinationPhoneNumber="+12025550100", MessageBody="someone else's")
    call, text = _received(live, PAGER)
    assert (call["channel"], call["from"], call["spoken"]) == (
        VOICE,
        ORIGINATION_NUMBER,
        "Supportdesk. SEV1 on checkout. Press 1.",
    )
    assert (text["channel"], text["from"], text["body"], text["context"]) == (
        TEXT,
        ORIGINATION_NUMBER,
        "SEV1 SD-7: checkout down",
        {"ref": "SD-7"},
    )


def test_the_origination_number_is_named_by_number_id_or_arn_and_nothing_else(sms):
    arn = sms.describe_phone_numbers()["PhoneNumbers"][0]["PhoneNumberArn"]
    for identity in (ORIGINATION_NUMBER, PHONE_NUMBER_ID, arn):
        sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="hi", OriginationIdentity=identity)
    unknown = _refusal(
        lambda: sms.send_text_message(
            DestinationPhoneNumber=PAGER, MessageBody="hi", OriginationIdentity="+12065550199"
        )
    )
    assert (unknown["Error"]["Code"], unknown["ResourceType"], unknown["ResourceId"]) == (
        "ResourceNotFoundException",
        "phone-number",
        "+12065550199",
    )
    sender_id = _refusal(
        lambda: sms.send_voice_message(DestinationPhoneNumber=PAGER, MessageBody="hi", OriginationIdentity="SUPPORT")
    )
    assert sender_id["ResourceType"] == "sender-id"


@pytest.mark.parametrize(
    ("params", "field", "constraint"),
    [
        ({"DestinationPhoneNumber": "0800 PAGER"}, "DestinationPhoneNumber", "regular expression pattern"),
        ({"MessageBody": "x" * 1601}, "MessageBody", "length less than or equal to 1600"),
        ({"MessageBody": "  \n "}, "MessageBody", "regular expression pattern"),
        ({"MessageType": "URGENT"}, "MessageType", "enum value set"),
        ({"TimeToLive": 259201}, "TimeToLive", "value less than or equal to 259200"),
    ],
)
def test_input_outside_the_model_is_a_field_validation_error(sms, params, field, constraint):
    refused = _refusal(
        lambda: sms.send_text_message(**{"DestinationPhoneNumber": PAGER, "MessageBody": "hi", **params})
    )
    assert refused["Error"]["Code"] == "ValidationException"
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert refused["Reason"] == "FIELD_VALIDATION_FAILED"
    [named] = refused["Fields"]
    assert named["Name"] == field and constraint in named["Message"]
    assert refused["Error"]["Message"].startswith("1 validation error detected: Value ")


def test_every_problem_is_named_at_once(sms):
    refused = _refusal(
        lambda: sms.send_voice_message(
            DestinationPhoneNumber="012", OriginationIdentity=ORIGINATION_NUMBER, MessageBody="hi", VoiceId="HAL9000"
        )
    )
    assert {f["Name"] for f in refused["Fields"]} == {"DestinationPhoneNumber", "VoiceId"}
    assert refused["Error"]["Message"].startswith("2 validation errors detected:")


def test_requests_botocore_would_not_send_are_refused_too(live):
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "PinpointSMSVoiceV2.SendTextMessage",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEDEFAULT00/20261127/us-east-1/sms-voice/aws4_request",
    }

    def post(body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(live.url, data=json.dumps(body).encode(), headers=headers, method="POST")
        with pytest.raises(HTTPError) as raised:
            urllib.request.urlopen(request)
        return raised.value.code, json.loads(raised.value.read())

    status, missing = post({"MessageBody": "hi"})
    assert (status, missing["__type"], missing["Fields"][0]["Name"]) == (
        400,
        "ValidationException",
        "DestinationPhoneNumber",
    )
    assert "Member must not be null" in missing["Message"]
    assert post({"DestinationPhoneNumber": 12025550123, "MessageBody": "hi"})[1]["__type"] == "SerializationException"
    assert post({"DestinationPhoneNumber": PAGER})[1]["Reason"] == "MISSING_PARAMETER"


def test_an_opted_out_number_is_refused_for_texts_and_calls(sms):
    sms.put_opted_out_number(OptOutListName="Default", OptedOutNumber=PAGER)
    for send in (
        lambda: sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="SEV1"),
        lambda: sms.send_voice_message(
            DestinationPhoneNumber=PAGER, OriginationIdentity=ORIGINATION_NUMBER, MessageBody="SEV1"
        ),
    ):
        refused = _refusal(send)
        assert (refused["Error"]["Code"], refused["Reason"], refused["ResourceId"]) == (
            "ConflictException",
            "DESTINATION_PHONE_NUMBER_OPTED_OUT",
            PAGER,
        )
    sms.send_text_message(DestinationPhoneNumber="+12025550100", MessageBody="others still get theirs")


@pytest.mark.parametrize(
    ("channel", "reason"),
    [(TEXT, "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"), (VOICE, "MONTHLY_SPEND_LIMIT_REACHED_FOR_VOICE")],
)
def test_the_month_s_spend_limit_stops_its_channel_until_the_month_turns(live, sms, channel, reason):
    def text():
        return sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="SEV1")

    def call():
        return sms.send_voice_message(
            DestinationPhoneNumber=PAGER, OriginationIdentity=ORIGINATION_NUMBER, MessageBody="SEV1"
        )

    live.sandbox.sms_voice.set_spent(channel, Decimal("0.995"), now=live.now)
    limited, other = (text, call) if channel == TEXT else (call, text)
    refused = _refusal(limited)
    assert (refused["Error"]["Code"], refused["Reason"]) == ("ServiceQuotaExceededException", reason)
    other()  # the other channel has its own limit
    live.now += timedelta(days=32)
    limited()


def test_a_dry_run_is_checked_but_neither_sent_nor_paid(live, sms):
    assert sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="SEV1", DryRun=True)["MessageId"]
    assert _received(live) == []
    assert all(spend.spent == 0 for spend in live.sandbox.sms_voice.spend(live.now))
    refused = _refusal(lambda: sms.send_text_message(DestinationPhoneNumber="012", MessageBody="SEV1", DryRun=True))
    assert refused["Error"]["Code"] == "ValidationException"


def test_price_over_max_price_and_bad_ssml_are_refused(sms):
    too_cheap = _refusal(lambda: sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="x", MaxPrice="0.001"))
    assert too_cheap["Reason"] == "PRICE_OVER_THRESHOLD"
    for body in ("<speak>unclosed", "<p>not speak</p>"):
        bad = _refusal(
            lambda body=body: sms.send_voice_message(
                DestinationPhoneNumber=PAGER,
                OriginationIdentity=ORIGINATION_NUMBER,
                MessageBody=body,
                MessageBodyTextType="SSML",
            )
        )
        assert (bad["Error"]["Code"], bad["Reason"]) == ("ValidationException", "INVALID_PARAMETER")


def test_configuration_sets_and_opt_out_lists_the_sandbox_lacks_are_not_found(sms):
    unknown_set = _refusal(
        lambda: sms.send_text_message(DestinationPhoneNumber=PAGER, MessageBody="x", ConfigurationSetName="paging")
    )
    assert (unknown_set["Error"]["Code"], unknown_set["ResourceType"]) == (
        "ResourceNotFoundException",
        "configuration-set",
    )
    unknown_protect = _refusal(
        lambda: sms.send_voice_message(
            DestinationPhoneNumber=PAGER,
            OriginationIdentity=ORIGINATION_NUMBER,
            MessageBody="x",
            ProtectConfigurationId="pc-1",
        )
    )
    assert unknown_protect["ResourceType"] == "protect-configuration"
    unknown_list = _refusal(lambda: sms.describe_opted_out_numbers(OptOutListName="Marketing"))
    assert unknown_list["ResourceType"] == "opt-out-list"
    unknown_number = _refusal(lambda: sms.describe_phone_numbers(PhoneNumberIds=["phone-0000"]))
    assert (unknown_number["ResourceType"], unknown_number["ResourceId"]) == ("phone-number", "phone-0000")


def test_opted_out_numbers_page_and_filter(live, sms):
    for number in ("+12025550101", "+12025550102", "+12025550103"):
        sms.put_opted_out_number(OptOutListName="Default", OptedOutNumber=number)
    live.sandbox.sms_voice.opt_out("+12025550104", now=live.now, by_end_user=True)  # replied STOP on the phone page
    first = sms.describe_opted_out_numbers(OptOutListName="Default", MaxResults=3)
    rest = sms.describe_opted_out_numbers(OptOutListName="Default", NextToken=first["NextToken"])
    assert len(first["OptedOutNumbers"]) == 3 and "NextToken" not in rest
    assert [o["OptedOutNumber"] for o in rest["OptedOutNumbers"]] == ["+12025550104"]
    by_end_user = sms.describe_opted_out_numbers(
        OptOutListName="Default", Filters=[{"Name": "end-user-opted-out", "Values": ["true"]}]
    )
    assert [(o["OptedOutNumber"], o["EndUserOptedOut"]) for o in by_end_user["OptedOutNumbers"]] == [
        ("+12025550104", True)
    ]
    asked = sms.describe_opted_out_numbers(OptOutListName="Default", OptedOutNumbers=["+12025550102", PAGER])
    assert [o["OptedOutNumber"] for o in asked["OptedOutNumbers"]] == ["+12025550102"]
    bad_token = _refusal(lambda: sms.describe_opted_out_numbers(OptOutListName="Default", NextToken="nope"))
    assert bad_token["Reason"] == "INVALID_NEXT_TOKEN"


def test_phone_numbers_filter_on_their_attributes(sms):
    def found(*filters):
        return len(sms.describe_phone_numbers(Filters=list(filters))["PhoneNumbers"])

    assert found({"Name": "number-capability", "Values": ["VOICE"]}) == 1
    assert found({"Name": "number-type", "Values": ["SHORT_CODE", "LONG_CODE"]}) == 0
    assert found({"Name": "iso-country-code", "Values": ["US"]}, {"Name": "status", "Values": ["ACTIVE"]}) == 1
    assert len(sms.describe_phone_numbers(Owner="SHARED")["PhoneNumbers"]) == 0


def test_throttling_answers_its_code(live, sms):
    live.sandbox.throttle_every = 1
    assert _refusal(lambda: sms.describe_spend_limits())["Error"]["Code"] == "ThrottlingException"
