"""AWS End User Messaging SMS and Voice v2 in JSON 1.0 (``PinpointSMSVoiceV2.*``): texts and calls to a local phone.

Nothing leaves the machine: each message accepted lands on the "phone" of its destination number, which the phone
page shows (phone.py). What the real service refuses, the sandbox refuses with the same error and ``Reason``:
input outside botocore's model (``ValidationException``, ``FIELD_VALIDATION_FAILED`` with its ``Fields``), an
origination identity it does not know (``ResourceNotFoundException``), an opted-out destination
(``ConflictException``, ``DESTINATION_PHONE_NUMBER_OPTED_OUT``) and a month's spend limit reached
(``ServiceQuotaExceededException``, ``MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT`` / ``_FOR_VOICE``).

The sandbox owns one origination number (SMS and voice), one opt-out list (``Default``) and one month's spend per
channel, whichever account signs; ARNs name the caller's account. Prices are the sandbox's, close to US rates.
"""

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from .api import AwsError, Call, page
from .model import described, violations

REGION = "us-east-1"  # what `make run` and the tests sign for
ORIGINATION_NUMBER = "+12065550142"  # 555-01xx: reserved for fiction in North America
PHONE_NUMBER_ID = "phone-e0ffb2a0260bb66aa122eb449cf4a6b3"  # 32 hex digits, as AWS writes them
OPT_OUT_LIST = "Default"
TEXT, VOICE = "TEXT", "VOICE"  # the channels, as the spend limits and quota reasons name them
PRICES = {TEXT: Decimal("0.00581"), VOICE: Decimal("0.013")}  # per message part; per started minute of a call
SPEND_LIMIT = 1  # dollars a month: a new account's limit for each channel
_WORDS_A_MINUTE = 150
_LIMIT_NAMES = (
    "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT",
    "VOICE_MESSAGE_MONTHLY_SPEND_LIMIT",
    "MEDIA_MESSAGE_MONTHLY_SPEND_LIMIT",
)


def _error(code: str, message: str, **members: Any) -> AwsError:
    return AwsError(code, message, members=members)


def _invalid(message: str, reason: str, fields: list[dict[str, str]] | None = None) -> AwsError:
    return _error("ValidationException", message, Reason=reason, **({"Fields": fields} if fields else {}))


def _not_found(resource_type: str, resource_id: str) -> AwsError:
    message = f"The {resource_type} {resource_id} was not found."
    return _error("ResourceNotFoundException", message, ResourceType=resource_type, ResourceId=resource_id)


def _validate(operation: str, params: dict[str, Any]) -> None:
    """Refuses parameters outside the operation's input shape with the ``ValidationException`` AWS gives."""
    found = violations("pinpoint-sms-voice-v2", operation, params)
    if found:
        fields = [{"Name": v.where, "Message": v.constraint} for v in found]
        raise _invalid(described(found), "FIELD_VALIDATION_FAILED", fields)


@dataclass(frozen=True)
class Message:
    id: str
    channel: str  # TEXT|VOICE
    destination: str
    origination: str  # the number it came from
    body: str  # as sent (SSML for an SSML call)
    spoken: str  # what the phone shows: the text, or the words a call says
    sent: datetime
    account_id: str
    price: Decimal
    ssml: bool = False
    voice: str = ""
    message_type: str = ""
    context: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OptOut:
    at: datetime
    by_end_user: bool  # replied STOP (the phone page's button) rather than PutOptedOutNumber


@dataclass(frozen=True)
class Phone:
    number: str
    messages: list[Message]  # newest first
    opted_out: OptOut | None


@dataclass(frozen=True)
class Spend:
    channel: str
    spent: Decimal
    limit: int


def _month(when: datetime) -> str:
    return when.strftime("%Y-%m")


def text_parts(body: str) -> int:
    """Message parts billed: 160 characters in one GSM part (153 each once split), 70 in UCS-2 (67 split)."""
    single, split = (160, 153) if body.isascii() else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // split)


def call_minutes(spoken: str) -> int:
    return max(1, -(-len(spoken.split()) // _WORDS_A_MINUTE))


def _body(operation: str, params: dict[str, Any]) -> str:
    """The message of a send whose parameters fit the model; the model leaves it optional, for templates."""
    _validate(operation, params)
    if not params.get("MessageBody"):
        raise _invalid("MessageBody is required when no template is given.", "MISSING_PARAMETER")
    return params["MessageBody"]


def _spoken(body: str, text_type: str) -> str:
    if text_type != "SSML":
        return body
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise _invalid(f"The SSML in MessageBody is not valid: {error}.", "INVALID_PARAMETER") from None
    if root.tag.rpartition("}")[2] != "speak":
        raise _invalid("SSML in MessageBody must be enclosed in a <speak> element.", "INVALID_PARAMETER")
    return " ".join("".join(root.itertext()).split())


class SmsVoice:
    # Modelled members (none here) make the message `Message`, as this service's error shapes spell it
    throttling: tuple[str, str, int, dict] = ("ThrottlingException", "Rate exceeded", 400, {})
    plan_refusal = None  # any account may send, within its spend limit

    def __init__(self) -> None:
        self._lock = threading.Lock()  # concurrent sends, opt-outs and the phone page's buttons
        self._messages: list[Message] = []  # oldest first
        self._opted_out: dict[str, OptOut] = {}
        self._spent: dict[tuple[str, str], Decimal] = {}  # by (month, channel)
        self.version = 0  # moves on with every change the phone page shows

    def operations(self) -> dict:
        return {
            "SendTextMessage": self.send_text_message,
            "SendVoiceMessage": self.send_voice_message,
            "DescribeSpendLimits": self.describe_spend_limits,
            "DescribeOptedOutNumbers": self.describe_opted_out_numbers,
            "PutOptedOutNumber": self.put_opted_out_number,
            "DescribePhoneNumbers": self.describe_phone_numbers,
        }

    # What the phone page reads and sets

    def received(self, number: str | None = None) -> list[Message]:
        """What was sent (to one number, or to all), newest first."""
        with self._lock:
            return [m for m in reversed(self._messages) if number is None or m.destination == number]

    def phones(self, number: str | None = None) -> list[Phone]:
        """One phone per number that was sent something or opted out, the most recently used first."""
        with self._lock:
            opted_out = dict(self._opted_out)
        messages = self.received()
        numbers = list(dict.fromkeys([m.destination for m in messages] + list(opted_out)))
        return [
            Phone(n, [m for m in messages if m.destination == n], opted_out.get(n))
            for n in numbers
            if number is None or n == number
        ]

    def opt_out(self, number: str, *, now: datetime, by_end_user: bool) -> OptOut:
        with self._lock:
            opt_out = self._opted_out.setdefault(number, OptOut(now, by_end_user))
            self.version += 1
        return opt_out

    def opt_in(self, number: str) -> None:
        with self._lock:
            self._opted_out.pop(number, None)
            self.version += 1

    def spend(self, now: datetime) -> list[Spend]:
        with self._lock:
            return [Spend(c, self._spent.get((_month(now), c), Decimal(0)), SPEND_LIMIT) for c in (TEXT, VOICE)]

    def set_spent(self, channel: str, amount: Decimal, *, now: datetime) -> None:
        with self._lock:
            self._spent[(_month(now), channel)] = amount
            self.version += 1

    # The API

    def send_text_message(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        body = _body("SendTextMessage", params)
        return self._send(call, params, TEXT, body, price_limit=params.get("MaxPrice"))

    def send_voice_message(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        spoken = _spoken(_body("SendVoiceMessage", params), params.get("MessageBodyTextType", "TEXT"))
        return self._send(call, params, VOICE, spoken, price_limit=params.get("MaxPricePerMinute"))

    def _send(self, call: Call, params: dict[str, Any], channel: str, spoken: str, price_limit: str | None) -> dict:
        origination = self._origination(call, params.get("OriginationIdentity"))
        for name, kind in (
            ("ConfigurationSetName", "configuration-set"),
            ("ProtectConfigurationId", "protect-configuration"),
        ):
            if params.get(name):  # the sandbox has none of either
                raise _not_found(kind, params[name])
        destination = params["DestinationPhoneNumber"]
        units = text_parts(spoken) if channel == TEXT else call_minutes(spoken)
        if price_limit is not None and PRICES[channel] > Decimal(price_limit):
            raise _invalid(
                f"The price of this message, {PRICES[channel]} USD, is over the MaxPrice given, {price_limit} USD.",
                "PRICE_OVER_THRESHOLD",
            )
        message = Message(
            id=str(uuid.uuid4()),
            channel=channel,
            destination=destination,
            origination=origination,
            body=params["MessageBody"],
            spoken=spoken,
            sent=call.now,
            account_id=call.account.id,
            price=PRICES[channel] * units,
            ssml=params.get("MessageBodyTextType") == "SSML",
            voice=params.get("VoiceId", "JOANNA") if channel == VOICE else "",
            message_type=params.get("MessageType", "TRANSACTIONAL") if channel == TEXT else "",
            context=tuple(sorted((params.get("Context") or {}).items())),
        )
        with self._lock:  # one lock from the checks to the write: two sends cannot both take the last cent
            if destination in self._opted_out:
                raise _error(
                    "ConflictException",
                    f"The destination phone number {destination} is opted out.",
                    Reason="DESTINATION_PHONE_NUMBER_OPTED_OUT",
                    ResourceType="opted-out-number",
                    ResourceId=destination,
                )
            key = (_month(call.now), channel)
            spent = self._spent.get(key, Decimal(0))
            if spent + message.price > SPEND_LIMIT:
                raise _error(
                    "ServiceQuotaExceededException",
                    f"The monthly spend limit for {channel.lower()} messages, {SPEND_LIMIT} USD, has been reached.",
                    Reason=f"MONTHLY_SPEND_LIMIT_REACHED_FOR_{channel}",
                )
            if not params.get("DryRun"):  # a dry run is checked, not sent
                self._spent[key] = spent + message.price
                self._messages.append(message)
                self.version += 1
        return {"MessageId": message.id}

    def _origination(self, call: Call, identity: str | None) -> str:
        """The number a message comes from: the sandbox's own, named by its number, id or ARN (or not at all)."""
        if identity is None or identity in (ORIGINATION_NUMBER, PHONE_NUMBER_ID, _phone_number_arn(call)):
            return ORIGINATION_NUMBER
        kind = "sender-id"
        if identity.startswith(("+", "phone-")) or ":phone-number/" in identity:
            kind = "phone-number"
        elif identity.startswith("pool-") or ":pool/" in identity:
            kind = "pool"
        raise _not_found(kind, identity)

    def describe_spend_limits(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _validate("DescribeSpendLimits", params)
        limits = [
            {"Name": name, "EnforcedLimit": SPEND_LIMIT, "MaxLimit": SPEND_LIMIT, "Overridden": False}
            for name in _LIMIT_NAMES
        ]
        shown, token = _paged(params, limits)
        return {"SpendLimits": shown, **token}

    def put_opted_out_number(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _validate("PutOptedOutNumber", params)
        self._opt_out_list(call, params["OptOutListName"])
        number = params["OptedOutNumber"]
        opt_out = self.opt_out(number, now=call.now, by_end_user=False)
        return {
            "OptOutListArn": _opt_out_list_arn(call),
            "OptOutListName": OPT_OUT_LIST,
            "OptedOutNumber": number,
            "OptedOutTimestamp": opt_out.at,
            "EndUserOptedOut": opt_out.by_end_user,
        }

    def describe_opted_out_numbers(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _validate("DescribeOptedOutNumbers", params)
        self._opt_out_list(call, params["OptOutListName"])
        with self._lock:
            opted_out = sorted(self._opted_out.items())
        wanted = params.get("OptedOutNumbers")
        by_end_user = {"true": True, "false": False}
        for filter_ in params.get("Filters", []):  # one name only: end-user-opted-out
            values = {by_end_user.get(v.lower()) for v in filter_["Values"]}
            if None in values:
                raise _invalid("Filter values must be true or false.", "INVALID_FILTER_VALUES")
            opted_out = [(n, o) for n, o in opted_out if o.by_end_user in values]
        rows = [
            {"OptedOutNumber": n, "OptedOutTimestamp": o.at, "EndUserOptedOut": o.by_end_user}
            for n, o in opted_out
            if wanted is None or n in wanted
        ]
        shown, token = _paged(params, rows)
        return {
            "OptOutListArn": _opt_out_list_arn(call),
            "OptOutListName": OPT_OUT_LIST,
            "OptedOutNumbers": shown,
            **token,
        }

    def _opt_out_list(self, call: Call, name: str) -> None:
        if name not in (OPT_OUT_LIST, _opt_out_list_arn(call)):
            raise _not_found("opt-out-list", name)

    def describe_phone_numbers(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _validate("DescribePhoneNumbers", params)
        number: dict[str, Any] = {
            "PhoneNumberArn": _phone_number_arn(call),
            "PhoneNumberId": PHONE_NUMBER_ID,
            "PhoneNumber": ORIGINATION_NUMBER,
            "Status": "ACTIVE",
            "IsoCountryCode": "US",
            "MessageType": "TRANSACTIONAL",
            "NumberCapabilities": ["SMS", "VOICE"],
            "NumberType": "TOLL_FREE",
            "MonthlyLeasingPrice": "2.00",
            "TwoWayEnabled": False,
            "SelfManagedOptOutsEnabled": False,
            "OptOutListName": OPT_OUT_LIST,
            "DeletionProtectionEnabled": False,
            "InternationalSendingEnabled": False,
            "CreatedTimestamp": call.world.clock.epoch,
        }
        for identifier in params.get("PhoneNumberIds", []):
            if identifier not in (PHONE_NUMBER_ID, number["PhoneNumberArn"]):
                raise _not_found("phone-number", identifier)
        attributes = {
            "status": number["Status"],
            "iso-country-code": number["IsoCountryCode"],
            "message-type": number["MessageType"],
            "number-capability": "SMS VOICE",
            "number-type": number["NumberType"],
            "two-way-enabled": "false",
            "self-managed-opt-outs-enabled": "false",
            "opt-out-list-name": OPT_OUT_LIST,
            "deletion-protection-enabled": "false",
            "two-way-channel-arn": "",
        }
        matches = params.get("Owner", "SELF") == "SELF" and all(
            any(v.lower() in attributes[f["Name"]].lower().split() for v in f["Values"])
            for f in params.get("Filters", [])
        )
        shown, token = _paged(params, [number] if matches else [])
        return {"PhoneNumbers": shown, **token}


def _arn(call: Call, resource: str) -> str:
    return f"arn:aws:sms-voice:{REGION}:{call.account.id}:{resource}"


def _phone_number_arn(call: Call) -> str:
    return _arn(call, f"phone-number/{PHONE_NUMBER_ID}")


def _opt_out_list_arn(call: Call) -> str:
    return _arn(call, f"opt-out-list/{OPT_OUT_LIST}")


def _paged(params: dict[str, Any], items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    bad_token = _invalid("The NextToken is not valid.", "INVALID_NEXT_TOKEN")
    shown, token = page(items, params.get("NextToken"), params.get("MaxResults", 100), bad_token)
    return list(shown), {"NextToken": token} if token else {}
