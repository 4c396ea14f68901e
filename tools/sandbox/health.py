"""AWS Health (``AWSHealth_20160804.*``): the account view and the organisational view, in datetimes.

The model declares smithy-rpc-v2-cbor before JSON 1.1; botocore 1.44.8 still picks JSON 1.1 (its own
protocol order puts ``json`` first), but the server accepts both, so this module sees plain values.
"""

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from .api import SUBSCRIPTION_REQUIRED, THROTTLED, AwsError, Call, out_of_range, page, too_long
from .scenario import Entity, Event, EventState

_PAGE = 10  # results per page when the caller does not say
_LIST_LIMITS = {
    "eventArns": 10,
    "eventTypeCodes": 10,
    "services": 10,
    "regions": 10,
    "startTimes": 10,
    "endTimes": 10,
    "lastUpdatedTimes": 10,
    "eventTypeCategories": 10,
    "eventStatusCodes": 6,
    "entityArns": 99,
    "entityValues": 99,
    "statusCodes": 5,
    "awsAccountIds": 50,
}
_SINGULAR_RANGES = {"startTime": "startTimes", "endTime": "endTimes", "lastUpdatedTime": "lastUpdatedTimes"}


def _bad_token() -> AwsError:
    return AwsError("InvalidPaginationToken", "The pagination token is not valid.")


def _instant(value: Any) -> datetime:
    # JSON 1.1 sends epoch seconds; CBOR sends a tagged datetime
    return value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)


def _in(values: list[Any] | None, value: Any) -> bool:
    return values is None or value in values


def _within(ranges: list[dict[str, Any]] | None, moment: datetime | None) -> bool:
    if ranges is None:
        return True
    return moment is not None and any(
        ("from" not in r or moment >= _instant(r["from"])) and ("to" not in r or moment <= _instant(r["to"]))
        for r in ranges
    )


def _tagged(wanted: dict[str, list[str]] | None, tags: dict[str, str]) -> bool:
    return not wanted or all(tags.get(key) in values for key, values in wanted.items())


def _checked(event_filter: dict[str, Any]) -> dict[str, Any]:
    """The filter with the organisational view's single time ranges as one-item lists, sizes checked."""
    event_filter = dict(event_filter)
    for singular, plural in _SINGULAR_RANGES.items():
        if singular in event_filter:
            event_filter[plural] = [event_filter.pop(singular)]
    for name, limit in _LIST_LIMITS.items():
        too_long(f"filter.{name}", event_filter.get(name, []), limit)
    return event_filter


def _entity_arn(account_id: str, event: Event, entity: Entity) -> str:
    digest = hashlib.sha256(f"{account_id}/{event.arn}/{entity.value}".encode()).digest()[:15]
    return f"arn:aws:health:{event.region}:{account_id}:entity/{base64.b32encode(digest).decode().lower()}"


def _event_matches(f: dict[str, Any], account_id: str, event: Event, state: EventState) -> bool:
    return (
        _in(f.get("eventArns"), event.arn)
        and _in(f.get("eventTypeCodes"), event.type_code)
        and _in(f.get("services"), event.service)
        and _in(f.get("regions"), event.region)
        and _in(f.get("availabilityZones"), event.availability_zone)
        and _in(f.get("eventTypeCategories"), event.category)
        and _in(f.get("eventStatusCodes"), state.status)
        and _within(f.get("startTimes"), state.start_time)
        and _within(f.get("endTimes"), state.end_time)
        and _within(f.get("lastUpdatedTimes"), state.last_updated)
        and ("entityValues" not in f or any(e.value in f["entityValues"] for e in event.entities))
        and ("entityArns" not in f or any(_entity_arn(account_id, event, e) in f["entityArns"] for e in event.entities))
        and (not f.get("tags") or any(_tagged(f["tags"], e.tags) for e in event.entities))
    )


def _entity_matches(f: dict[str, Any], account_id: str, event: Event, entity: Entity, state: EventState) -> bool:
    return (
        _in(f.get("entityValues"), entity.value)
        and _in(f.get("entityArns"), _entity_arn(account_id, event, entity))
        and _in(f.get("statusCodes"), state.entity_status)
        and _within(f.get("lastUpdatedTimes"), state.last_updated)
        and _tagged(f.get("tags"), entity.tags)
    )


def _event(event: Event, state: EventState, *, organization: bool = False) -> dict[str, Any]:
    rendered = {
        "arn": event.arn,
        "service": event.service,
        "eventTypeCode": event.type_code,
        "eventTypeCategory": event.category,
        "region": event.region,
        "startTime": state.start_time,
        "lastUpdatedTime": state.last_updated,
        "statusCode": state.status,
        "eventScopeCode": event.scope,
    }
    if state.end_time:
        rendered["endTime"] = state.end_time
    if event.availability_zone and not organization:  # the organisational list has no zone member
        rendered["availabilityZone"] = event.availability_zone
    return rendered


def _entity(account_id: str, event: Event, entity: Entity, state: EventState) -> dict[str, Any]:
    return {
        "entityArn": _entity_arn(account_id, event, entity),
        "eventArn": event.arn,
        "entityValue": entity.value,
        "awsAccountId": account_id,
        "lastUpdatedTime": state.last_updated,
        "statusCode": state.entity_status,
        "resourceTags": entity.tags,  # not `tags`: that member left the model (docs/aws.md#health-affected-entities)
    }


def _details(event: Event, state: EventState) -> dict[str, Any]:
    return {
        "event": _event(event, state),
        "eventDescription": {"latestDescription": state.description},
        "eventMetadata": {},
    }


def _size(params: dict[str, Any], low: int = 1) -> int:
    size = params.get("maxResults", _PAGE)
    out_of_range("maxResults", size, low, 100)
    return size


class Health:
    throttling = THROTTLED
    plan_refusal = SUBSCRIPTION_REQUIRED

    def operations(self) -> dict:
        return {
            "DescribeEvents": self.describe_events,
            "DescribeEventDetails": self.describe_event_details,
            "DescribeAffectedEntities": self.describe_affected_entities,
            "DescribeEventsForOrganization": self.describe_events_for_organization,
            "DescribeAffectedAccountsForOrganization": self.describe_affected_accounts_for_organization,
            "DescribeEventDetailsForOrganization": self.describe_event_details_for_organization,
            "DescribeAffectedEntitiesForOrganization": self.describe_affected_entities_for_organization,
            "DescribeHealthServiceStatusForOrganization": self.describe_health_service_status_for_organization,
        }

    # Account view

    def describe_events(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        f = _checked(params.get("filter", {}))
        account_id = call.account.id
        events = [(e, s) for e, s in _current(call, account_id) if _event_matches(f, account_id, e, s)]
        return _events_page(events, params, organization=False)

    def describe_event_details(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        arns = params.get("eventArns", [])
        too_long("eventArns", arns, 10)
        known = {e.arn: (e, s) for e, s in _current(call, call.account.id)}
        return {
            "successfulSet": [_details(*known[arn]) for arn in arns if arn in known],
            "failedSet": [_not_found(arn) for arn in arns if arn not in known],
        }

    def describe_affected_entities(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        f = _checked(params.get("filter", {}))
        account_id = call.account.id
        entities = [
            _entity(account_id, e, entity, s)
            for e, s in _current(call, account_id)
            if e.arn in f.get("eventArns", [])
            for entity in e.entities
            if _entity_matches(f, account_id, e, entity, s)
        ]
        shown, token = page(entities, params.get("nextToken"), _size(params), _bad_token())
        return {"entities": list(shown), **({"nextToken": token} if token else {})}

    # Organisational view: the management account sees every account of the organisation

    def describe_health_service_status_for_organization(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        _members(call)  # the management account's question; others are refused as for the other calls
        return {"healthServiceAccessStatusForOrganization": "ENABLED"}

    def describe_events_for_organization(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        f = _checked(params.get("filter", {}))
        by_arn: dict[str, tuple[Event, EventState]] = {}
        for account_id in f.get("awsAccountIds") or _members(call):
            for e, s in _current(call, account_id):
                if _event_matches(f, account_id, e, s):
                    by_arn.setdefault(e.arn, (e, s))  # one row per event, however many accounts it touches
        return _events_page(list(by_arn.values()), params, organization=True)

    def describe_affected_accounts_for_organization(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        arn = params.get("eventArn")
        touched = [(a, e) for a in _members(call) for e, _ in _current(call, a) if e.arn == arn]
        scope = touched[0][1].scope if touched else "NONE"
        accounts = [] if scope == "PUBLIC" else [a for a, _ in touched]  # public events name no accounts
        shown, token = page(accounts, params.get("nextToken"), _size(params, low=10), _bad_token())
        return {"affectedAccounts": list(shown), "eventScopeCode": scope, **({"nextToken": token} if token else {})}

    def describe_event_details_for_organization(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        filters = params.get("organizationEventDetailFilters", [])
        too_long("organizationEventDetailFilters", filters, 10)
        successful, failed = [], []
        for item in filters:
            arn, account_id = item["eventArn"], item.get("awsAccountId")
            found = _find(call, arn, account_id)
            echoed = {"awsAccountId": account_id} if account_id else {}
            if found is None:
                failed.append({**echoed, **_not_found(arn)})
            else:
                successful.append({**echoed, **_details(*found)})
        return {"successfulSet": successful, "failedSet": failed}

    def describe_affected_entities_for_organization(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        filters = params.get("organizationEntityAccountFilters") or params.get("organizationEntityFilters")
        if not filters:
            raise AwsError(
                "ValidationException",
                "Either organizationEntityFilters or organizationEntityAccountFilters is required.",
            )
        too_long("organizationEntityFilters", filters, 10)
        entities: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for item in filters:
            arn, account_id = item["eventArn"], item.get("awsAccountId")
            found = _find(call, arn, account_id)
            if found is None or not account_id:
                failed.append({**({"awsAccountId": account_id} if account_id else {}), **_not_found(arn)})
                continue
            event, state = found
            entities.extend(
                _entity(account_id, event, entity, state)
                for entity in event.entities
                if _entity_matches(item, account_id, event, entity, state)
            )
        shown, token = page(entities, params.get("nextToken"), _size(params), _bad_token())
        return {"entities": list(shown), "failedSet": failed, **({"nextToken": token} if token else {})}


def _current(call: Call, account_id: str) -> list[tuple[Event, EventState]]:
    states = ((e, e.state(call.world.clock, call.step)) for e in call.world.events.get(account_id, ()))
    return [(e, s) for e, s in states if s is not None]


def _members(call: Call) -> list[str]:
    world = call.world
    if call.account.id != world.management_account_id:
        raise AwsError(
            "AccessDeniedException",
            "Only the organization's management account or a delegated administrator may do this.",
        )
    return list(world.accounts)


def _find(call: Call, arn: str, account_id: str | None) -> tuple[Event, EventState] | None:
    """The event in that account; without an account, only a public event is found (its details are the same)."""
    members = _members(call)
    for member in [account_id] if account_id else members:
        if member not in members:
            return None
        for event, state in _current(call, member):
            if event.arn == arn and (account_id or event.scope == "PUBLIC"):
                return event, state
    return None


def _not_found(arn: str) -> dict[str, str]:
    return {"eventArn": arn, "errorName": "NotFoundException", "errorMessage": f"Event {arn} was not found."}


def _events_page(events: list[tuple[Event, EventState]], params: dict[str, Any], *, organization: bool) -> dict:
    # Newest first, as AWS lists them; the ARN breaks ties so pages never shuffle
    events.sort(key=lambda pair: (pair[1].last_updated, pair[0].arn), reverse=True)
    shown, token = page(events, params.get("nextToken"), _size(params), _bad_token())
    rendered = [_event(e, s, organization=organization) for e, s in shown]
    return {"events": rendered, **({"nextToken": token} if token else {})}
