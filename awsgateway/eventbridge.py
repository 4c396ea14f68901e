"""EventBridge events for AWS Health, Trusted Advisor, Security Hub and GuardDuty, as SNS pushes them, read into the
polling dataclasses.

Health and Trusted Advisor describe the same things differently when they push: RFC 1123 times, a list of
descriptions, entities with two spellings, check names instead of ids, details keyed by column heading.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from .health import Entity, HealthEvent
from .securityhub import MalformedFinding, SecurityFinding, from_asff, from_guardduty
from .trusted_advisor import savings_in

_TA_STATUSES = {"WARN": "warning", "ERROR": "error", "OK": "ok"}


class MalformedEvent(ValueError):
    """An event missing what it must carry; ``str()`` says what."""


@dataclass(frozen=True)
class PushedHealthEvent:
    account_id: str
    event: HealthEvent
    description: str
    entities: tuple[Entity, ...]


@dataclass(frozen=True)
class PushedTrustedAdvisorItem:
    account_id: str
    check_name: str
    status: str  # warning|error|ok
    details: dict[str, str]
    resource_arn: str
    region: str
    estimated_monthly_savings: Decimal | None


def _text(value: Any, limit: int = 10_000) -> str:
    """A string member, or "" when absent; longer than any AWS value of its kind means a forged event."""
    if not isinstance(value, str):
        return ""
    if len(value) > limit:
        raise MalformedEvent(f"A value of {len(value)} characters is longer than AWS ever sends ({limit}).")
    return value


def _time(value: Any) -> datetime | None:
    """Health pushes RFC 1123 (`Wed, 15 Feb 2023 22:07:07 GMT`); accept ISO 8601 too, the envelope's format."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else None  # AWS always says the zone; a time without one is not AWS's


def _list(value: Any) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise MalformedEvent("A member AWS sends as a list is not one.")
    return value


def _detail(event: Any) -> dict[str, Any]:
    if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
        raise MalformedEvent("The event has no detail object.")
    return event["detail"]


def _account(event: dict[str, Any], detail: dict[str, Any]) -> str:
    # Under the organisational view the envelope names the management account; affectedAccount the member.
    account_id = _text(detail.get("affectedAccount")) or _text(event.get("account"))
    if not (len(account_id) == 12 and account_id.isascii() and account_id.isdigit()):
        raise MalformedEvent("The event names no valid AWS account.")
    return account_id


def _health_entity(arn: str, account_id: str, raw: Any) -> Entity | None:
    if not isinstance(raw, dict) or not _text(raw.get("entityValue")):
        return None
    tags = raw.get("tags") or raw.get("resourceTags") or {}
    return Entity(
        event_arn=arn,
        value=raw["entityValue"],
        account_id=account_id,
        status=_text(raw.get("statusCode") or raw.get("status")),  # 2 spellings: docs/aws.md#eventbridge-health-events
        tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
    )


def health_event(event: dict[str, Any]) -> PushedHealthEvent:
    detail = _detail(event)
    arn = _text(detail.get("eventArn"), 1600)
    if not arn:
        raise MalformedEvent("The Health event has no eventArn.")
    account_id = _account(event, detail)
    descriptions = _list(detail.get("eventDescription"))
    english = [d for d in descriptions if isinstance(d, dict) and _text(d.get("language", "en_US")).startswith("en")]
    region = _text(detail.get("eventRegion"), 30)
    entities = (_health_entity(arn, account_id, e) for e in _list(detail.get("affectedEntities")))
    return PushedHealthEvent(
        account_id=account_id,
        event=HealthEvent(
            arn=arn,
            service=_text(detail.get("service"), 60),
            event_type_code=_text(detail.get("eventTypeCode"), 100),
            category=_text(detail.get("eventTypeCategory"), 40),
            region="" if region == "global" else region,
            status=_text(detail.get("statusCode"), 20),
            start_time=_time(detail.get("startTime")),
            end_time=_time(detail.get("endTime")),
            last_updated=_time(detail.get("lastUpdatedTime")) or _time(event.get("time")),
            scope=_text(detail.get("eventScopeCode"), 20),
        ),
        description=_text(english[0].get("latestDescription"), 262_144) if english else "",
        entities=tuple(e for e in entities if e is not None),
    )


def trusted_advisor_item(event: dict[str, Any]) -> PushedTrustedAdvisorItem:
    detail = _detail(event)
    check_name = _text(detail.get("check-name"), 255).strip()  # AWS's own sample says "Load Balancer Optimization "
    status = _TA_STATUSES.get(_text(detail.get("status")).upper())
    raw_details = detail.get("check-item-detail")
    if not check_name or status is None or not isinstance(raw_details, dict):
        raise MalformedEvent("The Trusted Advisor event needs check-name, status and check-item-detail.")
    details = {str(k): "" if v is None else str(v) for k, v in raw_details.items()}
    return PushedTrustedAdvisorItem(
        account_id=_account(event, detail),
        check_name=check_name,
        status=status,
        details=details,
        resource_arn=_text(detail.get("resource_id"), 1600),  # an ARN, or empty; never the API's opaque resourceId
        region=_text(details.get("Region", ""), 30),
        estimated_monthly_savings=savings_in(details),
    )


def security_findings(event: dict[str, Any]) -> list[SecurityFinding]:
    """ "Security Hub Findings - Imported" (ASFF, a list) or "GuardDuty Finding" (GuardDuty's format, one)."""
    detail = _detail(event)
    try:
        if event.get("source") == "aws.guardduty":
            return [from_guardduty(detail)]
        return [from_asff(raw) for raw in _list(detail.get("findings"))]
    except MalformedFinding as exc:
        raise MalformedEvent(str(exc)) from exc
