"""CloudWatch alarm state changes as AWS pushes them: the alarm's SNS message, or EventBridge's "CloudWatch Alarm
State Change" event, read into one frozen dataclass (docs/aws.md#cloudwatch-alarms).

The two describe the same change differently: the SNS message names its region in words ("US East (N. Virginia)")
and carries the metric as ``Trigger``; the event names the region by code and the metric under ``configuration``.
"""

import math
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import quote

import botocore.session

from .eventbridge import MalformedEvent

ALARM, OK, INSUFFICIENT_DATA = "ALARM", "OK", "INSUFFICIENT_DATA"
_STATES = frozenset({ALARM, OK, INSUFFICIENT_DATA})
_ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$", re.DOTALL)
_REGION_CODE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
# Names older alarm messages used, before AWS's console names ("EU - Ireland"); the rest come from botocore
_LEGACY_REGION_NAMES = {
    "US - N. Virginia": "us-east-1",
    "US - Ohio": "us-east-2",
    "US - N. California": "us-west-1",
    "US - Oregon": "us-west-2",
    "EU - Ireland": "eu-west-1",
    "EU - London": "eu-west-2",
    "EU - Frankfurt": "eu-central-1",
    "Asia Pacific - Tokyo": "ap-northeast-1",
    "Asia Pacific - Singapore": "ap-southeast-1",
    "Asia Pacific - Sydney": "ap-southeast-2",
}


@dataclass(frozen=True)
class AlarmChange:
    """One alarm's move to a new state, as one account's CloudWatch reported it."""

    account_id: str
    region: str  # a code: us-east-1
    name: str
    arn: str
    description: str
    state: str  # ALARM|OK|INSUFFICIENT_DATA
    previous_state: str
    reason: str
    changed_at: datetime
    metric: str  # "" for a composite alarm, or a metric-math alarm seen through EventBridge
    namespace: str
    statistic: str
    dimensions: tuple[tuple[str, str], ...]
    period: int | None
    evaluation_periods: int | None
    comparison: str  # GreaterThanOrEqualToThreshold…
    threshold: float | None
    rule: str  # a composite alarm's AlarmRule; "" for a metric alarm
    tags: tuple[tuple[str, str], ...]  # only when the alarm propagates its tags

    @property
    def is_composite(self) -> bool:
        return bool(self.rule)


def console_url(*, region: str, name: str) -> str:
    """The alarm's page in the CloudWatch console (the name is URL-encoded in the fragment)."""
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:alarm/{quote(name, safe='')}"
    )


@cache
def _region_codes() -> dict[str, str]:
    endpoints = botocore.session.get_session().get_data("endpoints")
    names = {}
    for partition in endpoints["partitions"]:
        for code, region in partition["regions"].items():
            if description := region.get("description"):
                names[description] = code
                # older messages say "EU (Ireland)" where botocore now says "Europe (Ireland)"
                names[description.replace("Europe (", "EU (")] = code
    return names | _LEGACY_REGION_NAMES


def region_code(name: str) -> str | None:
    """``us-east-1`` for "US East (N. Virginia)" (or for "us-east-1"); None when the name is not a region's."""
    if _REGION_CODE.fullmatch(name):
        return name
    return _region_codes().get(name.strip())


def is_alarm_message(message: Any) -> bool:
    """Whether an SNS message is a CloudWatch alarm's (not an EventBridge event): it names an alarm and a state."""
    return isinstance(message, dict) and "AlarmName" in message and "NewStateValue" in message


def _text(value: Any, limit: int = 10_000) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedEvent("A member AWS sends as text is not text.")
    if len(value) > limit:
        raise MalformedEvent(f"A value of {len(value)} characters is longer than AWS ever sends ({limit}).")
    return value


def _time(value: Any, what: str) -> datetime:
    # CloudWatch writes 2017-12-14T01:00:00.000+0000; fromisoformat reads that since Python 3.11
    try:
        moment = datetime.fromisoformat(_text(value, 40))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise MalformedEvent(f"The alarm's {what} is not a time with a zone.")
    return moment


def _number(value: Any) -> float | None:
    # Python's json reads NaN and Infinity, which no JSON column stores
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _tags(value: Any) -> tuple[tuple[str, str], ...]:
    """The alarm's tags, when it propagates them (docs/aws.md#alarm-tags): a map of key to value."""
    if not isinstance(value, dict):
        return ()
    return tuple((_text(k, 128), _text(v, 256)) for k, v in value.items())


def _state(value: Any, what: str) -> str:
    state = _text(value, 40)
    if state not in _STATES:
        raise MalformedEvent(f"The alarm's {what} {state[:40]!r} is not ALARM, OK or INSUFFICIENT_DATA.")
    return state


def _identity(*, arn: str, account_id: str, region: str, name: str) -> tuple[str, str, str]:
    """(account, region code, name): the ARN says all three when present, and must agree with the rest."""
    if match := _ALARM_ARN.fullmatch(arn):
        region_from_arn, account_from_arn, name_from_arn = match.groups()
        if (account_id and account_id != account_from_arn) or (name and name != name_from_arn):
            raise MalformedEvent("The alarm's ARN names another account or alarm than the message.")
        if not _REGION_CODE.fullmatch(region_from_arn) or len(region_from_arn) > 30:
            raise MalformedEvent("The alarm's ARN names no region.")
        return account_from_arn, region_from_arn, name_from_arn
    if arn:
        raise MalformedEvent("The alarm's ARN is not a CloudWatch alarm ARN.")
    code = region_code(region)
    if code is None:
        raise MalformedEvent(f"The alarm's region {region[:60]!r} is not one Supportdesk knows.")
    return account_id, code, name


def _account(value: str) -> str:
    if not (len(value) == 12 and value.isascii() and value.isdigit()):
        raise MalformedEvent("The alarm names no valid AWS account.")
    return value


def alarm_message(message: dict[str, Any]) -> AlarmChange:
    """An alarm's SNS message (the JSON CloudWatch publishes to the alarm's topic)."""
    name = _text(message.get("AlarmName"), 255)
    if not name:
        raise MalformedEvent("The alarm message has no AlarmName.")
    account_id, region, name = _identity(
        arn=_text(message.get("AlarmArn"), 1600),
        account_id=_text(message.get("AWSAccountId"), 12),
        region=_text(message.get("Region"), 60),
        name=name,
    )
    trigger = message.get("Trigger")
    if trigger is not None and not isinstance(trigger, dict):
        raise MalformedEvent("The alarm's Trigger is not an object.")
    trigger = trigger or {}
    raw_dimensions = trigger.get("Dimensions") or []
    if not isinstance(raw_dimensions, list):
        raise MalformedEvent("The alarm's Dimensions is not a list.")
    # {"name": …, "value": …} pairs; AWS's own samples order the keys either way
    dimensions = tuple(
        (_text(d.get("name"), 255), _text(d.get("value"), 1024)) for d in raw_dimensions if isinstance(d, dict)
    )
    return AlarmChange(
        account_id=_account(account_id),
        region=region,
        name=name,
        arn=_text(message.get("AlarmArn"), 1600),
        description=_text(message.get("AlarmDescription"), 1024),
        state=_state(message.get("NewStateValue"), "NewStateValue"),
        previous_state=_text(message.get("OldStateValue"), 40),
        reason=_text(message.get("NewStateReason"), 1023),
        changed_at=_time(message.get("StateChangeTime"), "StateChangeTime"),
        metric=_text(trigger.get("MetricName"), 255),
        namespace=_text(trigger.get("Namespace"), 255),
        statistic=_text(trigger.get("Statistic") or trigger.get("ExtendedStatistic"), 40),
        dimensions=dimensions,
        period=_whole(trigger.get("Period")),
        evaluation_periods=_whole(trigger.get("EvaluationPeriods")),
        comparison=_text(trigger.get("ComparisonOperator"), 60),
        threshold=_number(trigger.get("Threshold")),
        rule=_text(message.get("AlarmRule"), 10_240),
        tags=_tags(message.get("AlarmTags")),
    )


def alarm_event(event: dict[str, Any]) -> AlarmChange:
    """EventBridge's "CloudWatch Alarm State Change" event (source aws.cloudwatch)."""
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise MalformedEvent("The event has no detail object.")
    state, previous = detail.get("state"), detail.get("previousState") or {}
    if not isinstance(state, dict) or not isinstance(previous, dict):
        raise MalformedEvent("The alarm event has no state object.")
    name = _text(detail.get("alarmName"), 255)
    if not name:
        raise MalformedEvent("The alarm event has no alarmName.")
    resources = event.get("resources") or []
    arn = _text(resources[0], 1600) if isinstance(resources, list) and resources else ""
    account_id, region, name = _identity(
        arn=arn, account_id=_text(event.get("account"), 12), region=_text(event.get("region"), 60), name=name
    )
    configuration = detail.get("configuration") or {}
    if not isinstance(configuration, dict):
        raise MalformedEvent("The alarm event's configuration is not an object.")
    metrics = configuration.get("metrics") or []
    # A single-metric alarm has one metric with a metricStat; metric math has several: the metric is not one
    stat = metrics[0].get("metricStat") if len(metrics) == 1 and isinstance(metrics[0], dict) else None
    metric = stat.get("metric") if isinstance(stat, dict) else None
    metric = metric if isinstance(metric, dict) else {}
    raw_dimensions = metric.get("dimensions") or {}
    return AlarmChange(
        account_id=_account(account_id),
        region=region,
        name=name,
        arn=arn,
        description=_text(configuration.get("description"), 1024),
        state=_state(state.get("value"), "state"),
        previous_state=_text(previous.get("value"), 40),
        reason=_text(state.get("reason"), 1023),
        changed_at=_time(state.get("timestamp"), "state timestamp"),
        metric=_text(metric.get("name"), 255),
        namespace=_text(metric.get("namespace"), 255),
        statistic=_text(stat.get("stat"), 40) if isinstance(stat, dict) else "",
        dimensions=tuple((str(k), str(v)) for k, v in raw_dimensions.items())
        if isinstance(raw_dimensions, dict)
        else (),
        period=_whole(stat.get("period")) if isinstance(stat, dict) else None,
        evaluation_periods=None,
        comparison="",
        threshold=None,
        rule=_text(configuration.get("alarmRule"), 10_240),
        tags=_tags(detail.get("alarmTags")),
    )
