"""AWS Health events: one row and one ticket per (event, account); scheduled changes become maintenance windows.

Polls read events incrementally by last update time; pushes arrive one at a time. Both end in
``health_events_record``, which writes only when AWS's lastUpdatedTime grew (or a pushed page adds entities).
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from awsgateway import health
from awsgateway.errors import RETRYABLE, AwsError
from awsgateway.health import Entity
from tickets.models import Ticket
from tickets.services import NewTicket

from ..accounts.models import AwsAccount, Source
from ..accounts.polls import PollCounts, chunks, poll_recorded
from ..accounts.services import account_access
from ..maintenance.models import MaintenanceWindow
from ..ticketing import services as ticketing
from ..ticketing.models import TagRoute
from .models import HealthEvent

SOURCE = "AWS Health"
CURSOR_OVERLAP = timedelta(minutes=15)  # AWS may stamp an update a little before it becomes visible
FIRST_POLL_LOOKBACK = timedelta(days=7)  # closed events this recent still belong on a first poll
ENTITIES_KEPT = 200  # per event; the count keeps the total
_CHUNK = 50  # events per transaction (the gateway asks AWS about them ten at a time)
_CLOSED = "closed"


@dataclass(frozen=True)
class EventView:
    """An event as one account sees it, with what the details and entities calls added."""

    account: AwsAccount
    event: health.HealthEvent
    description: str
    entities: list[Entity]
    entity_count: int


def _entity_json(entities: Iterable[Entity]) -> list[dict]:
    return [{"value": e.value, "status": e.status, "tags": e.tags} for e in entities]


def _rank(event: health.HealthEvent, account: AwsAccount) -> int:
    if event.category == "issue":
        production = account.environment == Ticket.Environment.PRODUCTION
        return ticketing.RANK_PRODUCTION_OUTAGE if production else ticketing.RANK_ISSUE
    if event.category == "investigation":
        return ticketing.RANK_ISSUE
    return ticketing.RANK_ADVICE  # scheduled changes and account notifications


def _readable(code: str) -> str:
    # AWS_EC2_OPERATIONAL_ISSUE → EC2 operational issue
    words = code.removeprefix("AWS_").split("_")
    return " ".join(w if w.isupper() and len(w) <= 4 and i == 0 else w.lower() for i, w in enumerate(words))


def _description(view: EventView) -> str:
    e = view.event
    where = e.region or "all regions"
    lines = [
        view.description.strip() or f"AWS Health reports {_readable(e.event_type_code)}.",
        "",
        f"Service: {e.service} · Region: {where} · Category: {e.category} · Status: {e.status}",
    ]
    if e.start_time:
        lines.append(
            f"Starts: {e.start_time:%Y-%m-%d %H:%M %Z}"
            + (f" · Ends: {e.end_time:%Y-%m-%d %H:%M %Z}" if e.end_time else "")
        )
    if view.entities:
        lines += ["", f"Affected resources ({view.entity_count}):"]
        lines += [f"- {x.value}" + (f" ({x.status})" if x.status else "") for x in view.entities[:50]]
    lines += ["", f"Event: {e.arn}"]
    return "\n".join(lines)


def _new_ticket(view: EventView, requester: User | None, routes: list[TagRoute]) -> NewTicket:
    e, account = view.event, view.account
    return ticketing.new_ticket(
        account=account,
        kind=Ticket.Kind.AWS_HEALTH,
        title=f"AWS Health: {_readable(e.event_type_code)} in {e.region or 'all regions'} ({account.name})",
        description=_description(view),
        rank=_rank(e, account),
        queue=ticketing.queue_for(account, (x.tags for x in view.entities), routes),
        tags=["aws-health", e.service.lower() or "aws", e.category.lower() or "event"],
        requester=requester,
    )


def _windows_sync(rows: list[HealthEvent]) -> None:
    """Scheduled changes are maintenance windows: one per event, kept in step with it."""
    scheduled = [r for r in rows if r.category == "scheduledChange" and r.start_time is not None]
    windows = {w.health_event_id: w for w in MaintenanceWindow.objects.filter(health_event__in=scheduled)}
    for row in scheduled:
        assert row.start_time is not None  # scheduled: filtered above
        window = windows.setdefault(row.pk, MaintenanceWindow(health_event=row))
        window.account, window.ticket, window.service, window.region = row.account, row.ticket, row.service, row.region
        window.title = _readable(row.event_type_code)[:120]
        window.starts_at, window.ends_at, window.notes = row.start_time, row.end_time, row.description[:2000]
        # AWS named more resources than an event keeps: the window then covers the account's service instead
        complete = row.entity_count <= len(row.entities)
        window.resources = [x["value"] for x in row.entities] if complete else []
    known = [w for w in windows.values() if w.pk is not None]  # before the new ones get their keys
    MaintenanceWindow.objects.bulk_create([w for w in windows.values() if w.pk is None])
    MaintenanceWindow.objects.bulk_update(known, _WINDOW_FIELDS)


_WINDOW_FIELDS = ["title", "account", "ticket", "service", "region", "starts_at", "ends_at", "notes", "resources"]
_EVENT_FIELDS = [
    "service",
    "event_type_code",
    "category",
    "region",
    "status",
    "scope",
    "start_time",
    "end_time",
    "last_updated_at",
    "description",
    "entities",
    "entity_count",
    "ticket",
]


def _changes(row: HealthEvent, view: EventView) -> list[str]:
    e = view.event
    changes = []
    if row.status != e.status:
        changes.append(f"Status: {row.status} → {e.status}")
    if row.end_time != e.end_time and e.end_time:
        changes.append(f"Ends: {e.end_time:%Y-%m-%d %H:%M %Z}")
    if view.description and row.description != view.description:
        changes.append(f"AWS wrote: {view.description.strip()[:500]}")
    if view.entity_count != row.entity_count:
        changes.append(f"Affected resources: {row.entity_count} → {view.entity_count}")
    return changes


@transaction.atomic
def health_events_record(*, views: list[EventView], counts: PollCounts, merge_entities: bool = False) -> None:
    """Record events, each for its account, and keep their tickets in step, in one transaction per batch (a
    killed worker loses the batch; the next poll records it again). A re-delivered or unchanged event writes
    nothing. ``merge_entities``: a push split into pages carries a share of the entities in each page."""
    account_ids = sorted({v.account.pk for v in views})
    # One writer per account (no twin tickets); locked in a fixed order, so two batches cannot deadlock
    list(AwsAccount.objects.select_for_update().filter(pk__in=account_ids).order_by("pk").values_list("pk"))
    rows = HealthEvent.objects.filter(account__in=account_ids, arn__in={v.event.arn for v in views})
    known = {(r.account_id, r.arn): r for r in rows.select_related("ticket")}
    recorded = [r for v in views if (r := _recorded(v, known.get((v.account.pk, v.event.arn)), counts, merge_entities))]
    # Tickets for what is new, filed together: a few INSERTs for the batch, not a dozen queries per event
    opening = [(row, view) for row, view in recorded if row.ticket is None and view.event.status != _CLOSED]
    filed = ticketing.Changes()
    if opening:
        requester, routes = ticketing.aws_requester(), ticketing.tag_routes()
        new = [_new_ticket(view, requester, routes) for _, view in opening]
        tickets = ticketing.ticket_services.tickets_create(new=new, record=filed)
        for (row, _), ticket in zip(opening, tickets, strict=True):
            row.ticket = ticket  # new, or first seen closed and now back
        counts.opened += len(opening)
    changed = [row for row, _ in recorded]
    known_changed = [row for row in changed if row.pk is not None]  # before the new rows get their keys
    HealthEvent.objects.bulk_create([row for row in changed if row.pk is None])
    HealthEvent.objects.bulk_update(known_changed, _EVENT_FIELDS)
    _windows_sync(changed)
    ticketing.tickets_linked(filed)


def _recorded(
    view: EventView, row: HealthEvent | None, counts: PollCounts, merge_entities: bool
) -> tuple[HealthEvent, EventView] | None:
    """The event's row brought up to date (not yet saved), its existing ticket following it; None if unchanged."""
    e, account = view.event, view.account
    if row is not None and merge_entities:
        merged = _merged(row, view)
        if merged is None:
            return None
        view = merged
    elif row is not None and e.last_updated and e.last_updated <= row.last_updated_at:
        return None
    changes = _changes(row, view) if row is not None else []
    row = row or HealthEvent(account=account, arn=e.arn)
    row.service, row.event_type_code, row.category = e.service, e.event_type_code, e.category
    row.region, row.status, row.scope = e.region, e.status, e.scope
    row.start_time, row.end_time = e.start_time, e.end_time
    row.last_updated_at = e.last_updated or row.last_updated_at or timezone.now()
    row.description = view.description or row.description
    row.entities, row.entity_count = _entity_json(view.entities[:ENTITIES_KEPT]), view.entity_count
    if row.ticket is not None:
        is_open = e.status != _CLOSED
        if changes:
            ticketing.ticket_services.ticket_aws_update(
                ticket=row.ticket, source=SOURCE, summary=_update_summary(e), lines=changes
            )
        note = "AWS Health closed the event." if not is_open else "AWS Health reopened the event."
        followed = ticketing.ticket_follow(ticket=row.ticket, still_open=is_open, note=note)
        if followed == "resolved":
            counts.resolved += 1
        elif changes or followed:
            counts.updated += 1
    return row, view


def _update_summary(event: health.HealthEvent) -> str:
    # AWS's own time, not ours: a push or poll can arrive long after the update, and updates can arrive out of order
    if event.last_updated is None:
        return "AWS updated the event."
    return f"AWS updated the event at {event.last_updated.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC."


def _merged(row: HealthEvent, view: EventView) -> EventView | None:
    """A pushed page's entities added to those already recorded; None when the page adds nothing new."""
    if view.event.last_updated and view.event.last_updated < row.last_updated_at:
        return None  # a late page of an older update
    pushed = {x.value for x in view.entities}
    kept = [
        Entity(row.arn, x["value"], row.account.account_id, x["status"], x["tags"])
        for x in row.entities
        if x["value"] not in pushed
    ]
    if view.event.last_updated == row.last_updated_at and pushed <= {x["value"] for x in row.entities}:
        return None
    merged = [*view.entities, *kept]
    return EventView(view.account, view.event, view.description or row.description, merged, len(merged))


def _changed_only(account_ids: dict[str, AwsAccount], events: list[health.HealthEvent]) -> list[health.HealthEvent]:
    """Drop events whose lastUpdatedTime has not grown since we recorded them: a re-run reads, never writes."""
    seen: dict[str, datetime] = {}
    for arn, updated in HealthEvent.objects.filter(
        account__in=account_ids.values(), arn__in=[e.arn for e in events]
    ).values_list("arn", "last_updated_at"):
        seen[arn] = min(updated, seen.get(arn, updated))
    return [e for e in events if e.arn not in seen or (e.last_updated and e.last_updated > seen[e.arn])]


def _events(access, since: datetime | None, *, organization: bool) -> Iterator[health.HealthEvent]:
    """What changed since the cursor; on a first poll, every open or upcoming event and what closed lately."""
    current, updated = (
        (health.organization_events_current, health.organization_events_since)
        if organization
        else (health.events_current, health.events_since)
    )
    if since is not None:
        yield from updated(access, since)
        return
    seen: set[str] = set()
    for event in chain(current(access), updated(access, timezone.now() - FIRST_POLL_LOOKBACK)):
        if event.arn not in seen:
            seen.add(event.arn)
            yield event


def health_poll(*, account: AwsAccount) -> None:
    """Read what changed since the last poll (on the first one: all open and upcoming events, and what closed in
    the last week) and record it.

    The cursor moves only after every page is recorded: a worker killed midway re-reads from the old cursor
    and the next run finishes the job, skipping what it already has.
    """
    with poll_recorded(account, Source.HEALTH) as counts:
        since = account.health_cursor - CURSOR_OVERLAP if account.health_cursor else None
        access = account_access(account)
        if account.is_organization_manager:
            try:
                newest = _organization_poll(account, access, since, counts)
            except RETRYABLE:
                raise
            except AwsError as exc:
                raise _organization_view_refusal(access, exc) from exc
        else:
            newest = _account_poll(account, access, since, counts)
        if newest and newest != account.health_cursor:
            AwsAccount.objects.filter(pk=account.pk).update(health_cursor=newest)


def _organization_view_refusal(access, exc: AwsError) -> AwsError:
    """A refused organisational poll, in words when the reason is that the organisation has not turned the view on
    (AWS answers that with a generic refusal)."""
    try:
        status = health.organization_view_status(access)
    except AwsError:
        return exc  # the refusal itself says more than a status we cannot read
    if status == "ENABLED":
        return exc
    if status == "PENDING":
        return AwsError(
            "AWS Health's organisational view is still being turned on for this organisation; "
            "its events can be read once AWS finishes (usually within minutes)."
        )
    return AwsError(
        f"AWS Health's organisational view is not enabled for this organisation (AWS says {status or 'nothing'}), "
        "so its events cannot be read from here. Enable it in the management account (Health console, "
        "Organizational view), or clear “organisation management or delegated admin” on this account to read "
        "its own events only."
    )


def _newest(current: datetime | None, events: list[health.HealthEvent]) -> datetime | None:
    stamps = [e.last_updated for e in events if e.last_updated] + ([current] if current else [])
    return max(stamps, default=None)


def _account_poll(account, access, since, counts: PollCounts) -> datetime | None:
    newest = account.health_cursor
    for chunk in chunks(_events(access, since, organization=False), _CHUNK):
        newest = _newest(newest, chunk)
        changed = _changed_only({account.account_id: account}, chunk)
        if not changed:
            continue
        arns = [e.arn for e in changed]
        descriptions = health.event_details(access, arns)
        entities = _grouped(health.affected_entities(access, arns), lambda x: x.event_arn)
        views = [EventView(account, e, descriptions.get(e.arn, ""), *entities.get(e.arn, ([], 0))) for e in changed]
        health_events_record(views=views, counts=counts)
    return newest


def _grouped(entities: Iterable[Entity], key) -> dict:
    """Entities per key, keeping at most ENTITIES_KEPT of each and counting them all: memory stays bounded."""
    kept: dict = defaultdict(lambda: ([], [0]))
    for entity in entities:
        values, total = kept[key(entity)]
        total[0] += 1
        if len(values) < ENTITIES_KEPT:
            values.append(entity)
    return {k: (values, total[0]) for k, (values, total) in kept.items()}


def _organization_poll(manager, access, since, counts: PollCounts) -> datetime | None:
    """The organisational view: one poll for every member; each (event, member) is recorded on the member."""
    members = {a.account_id: a for a in AwsAccount.objects.filter(enabled=True).select_related("owner_queue")}
    members.setdefault(manager.account_id, manager)
    newest = manager.health_cursor
    for chunk in chunks(_events(access, since, organization=True), _CHUNK):
        newest = _newest(newest, chunk)
        changed = _changed_only(members, chunk)
        keys: list[tuple[str, str]] = []
        events = {e.arn: e for e in changed}
        for e in changed:
            affected = health.affected_accounts(access, e.arn)
            # Public events touch no account in particular: the manager's record stands for the organisation
            keys += [(e.arn, a) for a in affected if a in members] if affected else [(e.arn, "")]
        if not keys:
            continue
        descriptions = health.organization_event_details(access, keys)
        entities = _grouped(health.organization_affected_entities(access, keys), lambda x: (x.event_arn, x.account_id))
        views = [
            EventView(
                members[account_id or manager.account_id],
                events[arn],
                descriptions.get((arn, account_id), ""),
                *entities.get((arn, account_id), ([], 0)),
            )
            for arn, account_id in keys
        ]
        health_events_record(views=views, counts=counts)
    return newest
