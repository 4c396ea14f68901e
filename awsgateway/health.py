"""AWS Health: the account view and the organisational view, on its active region with failover to the other."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from . import clients
from .clients import AccountAccess
from .errors import AwsUnreachable, translated_errors

T = TypeVar("T")

_BATCH = 10  # events per details/entities call (API limit)
_CURRENT = ["open", "upcoming"]


@dataclass(frozen=True)
class HealthEvent:
    arn: str
    service: str
    event_type_code: str
    category: str  # issue|accountNotification|scheduledChange|investigation; an open set
    region: str
    status: str  # open|closed|upcoming
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


def _batches(items: Iterable[Any]) -> Iterator[list[Any]]:
    items = list(dict.fromkeys(items))  # drop duplicates, keep order
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


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


def _entity(e: dict[str, Any]) -> Entity:
    return Entity(
        event_arn=e.get("eventArn", ""),
        value=e.get("entityValue", ""),
        account_id=e.get("awsAccountId", ""),
        status=e.get("statusCode", ""),
        tags=dict(e.get("resourceTags", {})),  # the old `tags` member is gone (docs/aws.md#health-affected-entities)
    )


def _called(access: AccountAccess, call: Callable[[Any], T]) -> T:
    """One call on the active region; on the other when the first cannot be reached (docs/aws.md#health-failover)."""
    *first, last = clients.health_regions()
    for region in first:
        try:
            with translated_errors():
                return call(clients.client_for(access, "health", region=region))
        except AwsUnreachable:
            continue
    with translated_errors():
        return call(clients.client_for(access, "health", region=last))


def _pages(access: AccountAccess, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
    """A paginated call's pages, one at a time (memory stays flat), failing over as ``_called`` does until the first
    page arrives; a later failure is raised for the poll to retry, rather than reading pages twice."""
    *first, last = clients.health_regions()
    for region in [*first, last]:
        paginator = clients.client_for(access, "health", region=region).get_paginator(operation)
        try:
            with translated_errors():
                pages = iter(paginator.paginate(**params))
                page = next(pages)
        except AwsUnreachable:
            if region == last:
                raise
            continue
        yield page
        with translated_errors():
            yield from pages
        return


def _paged_events(access: AccountAccess, operation: str, event_filter: dict) -> Iterator[HealthEvent]:
    for page in _pages(access, operation, filter=event_filter):
        for e in page.get("events", []):
            yield _event(e)


# Account view


def events_since(access: AccountAccess, since: datetime) -> Iterator[HealthEvent]:
    """Events updated at or after ``since``, whatever their status."""
    # The account view takes a list of time ranges, the organisation's one (docs/aws.md#health-organisational-view).
    return _paged_events(access, "describe_events", {"lastUpdatedTimes": [{"from": since}]})


def events_current(access: AccountAccess) -> Iterator[HealthEvent]:
    """Open and upcoming events, however long ago they last changed (what a first poll must not miss)."""
    return _paged_events(access, "describe_events", {"eventStatusCodes": _CURRENT})


def event_details(access: AccountAccess, arns: Iterable[str]) -> dict[str, str]:
    """Latest description per event ARN; ARNs in the API's failedSet are simply absent."""
    descriptions: dict[str, str] = {}
    for batch in _batches(arns):
        response = _called(access, lambda client, batch=batch: client.describe_event_details(eventArns=batch))  # type: ignore[misc]  # a lambda binding its loop value
        for item in response.get("successfulSet", []):
            descriptions[item["event"]["arn"]] = item.get("eventDescription", {}).get("latestDescription", "")
    return descriptions


def affected_entities(access: AccountAccess, arns: Iterable[str]) -> Iterator[Entity]:
    for batch in _batches(arns):
        for page in _pages(access, "describe_affected_entities", filter={"eventArns": batch}):
            yield from (_entity(e) for e in page.get("entities", []))


# Organisational view (management or delegated administrator account). Events are keyed by (ARN, account).


def organization_events_since(access: AccountAccess, since: datetime) -> Iterator[HealthEvent]:
    return _paged_events(access, "describe_events_for_organization", {"lastUpdatedTime": {"from": since}})


def organization_events_current(access: AccountAccess) -> Iterator[HealthEvent]:
    return _paged_events(access, "describe_events_for_organization", {"eventStatusCodes": _CURRENT})


def affected_accounts(access: AccountAccess, arn: str) -> list[str]:
    """Member accounts an event touches; empty for public events."""
    pages = _pages(access, "describe_affected_accounts_for_organization", eventArn=arn)
    return [a for page in pages for a in page.get("affectedAccounts", [])]


def _org_filter(arn: str, account_id: str) -> dict[str, str]:
    # Public events take no account; account-specific ones require it (docs/aws.md#health-organisational-view)
    return {"eventArn": arn, "awsAccountId": account_id} if account_id else {"eventArn": arn}


def organization_event_details(access: AccountAccess, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Latest description per (event ARN, account id); pass an empty account id for public events."""
    descriptions: dict[tuple[str, str], str] = {}
    for batch in _batches(keys):
        filters = [_org_filter(arn, account) for arn, account in batch]
        response = _called(
            access,
            lambda client, filters=filters: client.describe_event_details_for_organization(  # type: ignore[misc]
                organizationEventDetailFilters=filters
            ),
        )
        for item in response.get("successfulSet", []):
            key = (item["event"]["arn"], item.get("awsAccountId", ""))
            descriptions[key] = item.get("eventDescription", {}).get("latestDescription", "")
    return descriptions


def organization_affected_entities(access: AccountAccess, keys: Iterable[tuple[str, str]]) -> Iterator[Entity]:
    for batch in _batches(keys):
        filters = [_org_filter(arn, account) for arn, account in batch]
        for page in _pages(access, "describe_affected_entities_for_organization", organizationEntityFilters=filters):
            yield from (_entity(e) for e in page.get("entities", []))


def organization_view_status(access: AccountAccess) -> str:
    """Whether the organisational view is on for the organisation: ENABLED, DISABLED or PENDING (an open set)."""
    response = _called(access, lambda client: client.describe_health_service_status_for_organization())
    return response.get("healthServiceAccessStatusForOrganization", "")
