"""AWS Health, account view (us-east-1; see clients.py for the failover note)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import clients
from .clients import AccountAccess
from .errors import translated_errors

_BATCH = 10  # eventArns per details/entities call (API limit)


@dataclass(frozen=True)
class HealthEvent:
    arn: str
    service: str
    event_type_code: str
    category: str  # issue|accountNotification|scheduledChange|investigation; an open set
    region: str
    status: str
    start_time: datetime | None
    end_time: datetime | None
    last_updated: datetime | None
    scope: str


@dataclass(frozen=True)
class Entity:
    event_arn: str
    value: str
    account_id: str
    status: str
    tags: dict[str, str]


def _batches(arns: Iterable[str]) -> Iterator[list[str]]:
    arns = list(dict.fromkeys(arns))  # drop duplicates, keep order
    for start in range(0, len(arns), _BATCH):
        yield arns[start : start + _BATCH]


def _event(e: dict[str, Any]) -> HealthEvent:
    return HealthEvent(
        arn=e["arn"],
        service=e.get("service", ""),
        event_type_code=e.get("eventTypeCode", ""),
        category=e.get("eventTypeCategory", ""),
        region=e.get("region", ""),
        status=e.get("statusCode", ""),
        start_time=e.get("startTime"),
        end_time=e.get("endTime"),
        last_updated=e.get("lastUpdatedTime"),
        scope=e.get("eventScopeCode", ""),
    )


def events_since(access: AccountAccess, since: datetime) -> Iterator[HealthEvent]:
    """Events updated at or after ``since``; pages stream one at a time so memory stays flat."""
    with translated_errors():
        paginator = clients.client_for(access, "health").get_paginator("describe_events")
        # Account view takes a list of ranges; the organization view takes a single one (AWS.md §0.7).
        for page in paginator.paginate(filter={"lastUpdatedTimes": [{"from": since}]}):
            for e in page.get("events", []):
                yield _event(e)


def event_details(access: AccountAccess, arns: Iterable[str]) -> dict[str, str]:
    """Latest description per event ARN; ARNs in the API's failedSet are simply absent."""
    client = clients.client_for(access, "health")
    descriptions: dict[str, str] = {}
    for batch in _batches(arns):
        with translated_errors():
            response = client.describe_event_details(eventArns=batch)
        for item in response.get("successfulSet", []):
            descriptions[item["event"]["arn"]] = item.get("eventDescription", {}).get("latestDescription", "")
    return descriptions


def affected_entities(access: AccountAccess, arns: Iterable[str]) -> list[Entity]:
    client = clients.client_for(access, "health")
    paginator = client.get_paginator("describe_affected_entities")
    entities: list[Entity] = []
    for batch in _batches(arns):
        with translated_errors():
            for page in paginator.paginate(filter={"eventArns": batch}):
                entities.extend(
                    Entity(
                        event_arn=e.get("eventArn", ""),
                        value=e.get("entityValue", ""),
                        account_id=e.get("awsAccountId", ""),
                        status=e.get("statusCode", ""),
                        tags=dict(e.get("resourceTags", {})),  # the old `tags` member is gone (AWS.md §0.3)
                    )
                    for e in page.get("entities", [])
                )
    return entities
