"""Maintenance windows: which window covers a ticket (one definition in SQL, for the ticket page, the rules and the
rules admin's count), the list, calendar and dashboard reads.

Windows from AWS Health are written by health/services.py; the writes of windows entered by hand are in services.py.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, TypeAlias, TypedDict

from django.apps import apps
from django.db.models import BooleanField, Case, Exists, F, Func, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone

from supportdesk import sql
from tickets.models import Ticket

from .models import MaintenanceWindow

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations  # a test (typing) dependency: not imported at run time

    from ..health.models import HealthEvent  # health sits above maintenance: it records the windows its events announce


class _Ends(TypedDict):
    effective_end: datetime


_Window: TypeAlias = "WithAnnotations[MaintenanceWindow, _Ends]"  # window_list's rows

OPEN_ENDED = timedelta(hours=24)  # AWS may announce a start without an end: the window counts as a day long
UPCOMING_DAYS = 14
UPCOMING_SHOWN = 10
CALENDAR_SHOWN = 500  # windows drawn on one month; a month with more is not a plan anyone reads


def _expression(value):
    return value if hasattr(value, "resolve_expression") else Value(value)


class NamesTicketResource(Func):
    """True when a window's resources (a JSON list of ids and ARNs) name a resource the ticket is about: one of its
    Trusted Advisor findings' resources (its id, its ARN, or a value of its details: the older API's resource id is
    opaque, the instance id is a column), or one its Health event affects."""

    output_field = BooleanField()
    arity = 2
    _TICKET_RESOURCES = """
        SELECT fi.resource_id FROM integrations_finding fi JOIN integrations_findinggroup g ON g.id = fi.group_id
            WHERE g.ticket_id = {ticket}
        UNION ALL SELECT fi.resource_arn FROM integrations_finding fi JOIN integrations_findinggroup g
            ON g.id = fi.group_id WHERE g.ticket_id = {ticket}
        UNION ALL SELECT detail.value FROM integrations_finding fi JOIN integrations_findinggroup g
            ON g.id = fi.group_id CROSS JOIN {details} WHERE g.ticket_id = {ticket}
        UNION ALL SELECT {entity} FROM integrations_healthevent h CROSS JOIN {entities} WHERE h.ticket_id = {ticket}"""

    def as_sql(self, compiler, connection, **extra):  # type: ignore[override]  # no function or template: its own SQL
        resources, resources_params = compiler.compile(self.source_expressions[0])
        ticket, ticket_params = compiler.compile(self.source_expressions[1])
        ticket_resources = self._TICKET_RESOURCES.format(
            ticket=ticket,
            entities=sql.json_object_elements("h.entities", "entity"),
            entity=sql.json_element_text("entity", "value"),
            details=sql.json_member_values("fi.details", "detail"),
        )
        named = sql.json_elements(resources, "named")  # the resources expression twice: a value, then a fallback
        query = f"EXISTS (SELECT 1 FROM {named} WHERE named.value <> '' AND named.value IN ({ticket_resources}))"
        return query, (*resources_params, *resources_params, *(ticket_params * 4))


def covering_q(*, at, account_id, service="", region="", ticket_id=None) -> Q:
    """Windows in progress at ``at`` whose scope takes in the account (an all-accounts window takes in any, but a
    ticket needs an account), and the service and region where both the window and the ticket name one.

    Values or expressions (OuterRef for the SQL twin): the same SQL decides the ticket page and the rules."""
    at, account_id, service, region = map(_expression, (at, account_id, service, region))
    # Bounded by the longest window (computed once per query), so the index on starts_at reads only the windows
    # that began recently enough to be in progress, not all those in history: the rules admin counts 1M tickets
    longest = MaintenanceWindow.objects.annotate(length=_effective_end() - F("starts_at")).order_by("-length")
    q = (
        Q(starts_at__lte=at, starts_at__gte=at - Subquery(longest.values("length")[:1]))
        & (Q(ends_at__gt=at) | Q(ends_at__isnull=True, starts_at__gt=at - Value(OPEN_ENDED)))
        & ~Q(Exact(account_id, Value("")))
        & (Q(account__isnull=True) | Q(account__account_id=account_id))
        & (Q(service="") | Q(Exact(service, Value(""))) | Q(service__iexact=service))
        & (Q(region="") | Q(Exact(region, Value(""))) | Q(region=region))
    )
    if ticket_id is None:
        return q & Q(resources=[])
    # A window for named resources (one database, say) covers only the tickets about one of them; and a Health
    # window is not maintenance the ticket announcing it was raised during
    named = NamesTicketResource(F("resources"), _expression(ticket_id))
    return q & (Q(resources=[]) | Q(named)) & ~Q(ticket_id=ticket_id)


def ticket_in_maintenance() -> Exists:
    """True for a ticket raised during a window that covers it, in Ticket querysets (the rules' SQL twin)."""
    health_event = apps.get_model("integrations", "HealthEvent")  # by name: health imports maintenance
    event = health_event.objects.filter(ticket_id=OuterRef(OuterRef("pk")))
    covering = covering_q(
        at=OuterRef("created_at"),
        account_id=OuterRef("aws_account_id"),
        service=Coalesce(Subquery(event.values("service")[:1]), Value("")),
        region=Coalesce(Subquery(event.values("region")[:1]), Value("")),
        ticket_id=OuterRef("pk"),
    )
    return Exists(MaintenanceWindow.objects.filter(covering))


def ticket_window(*, ticket: Ticket, event: "HealthEvent | None") -> MaintenanceWindow | None:
    """The window the ticket was raised during, if any (one query); its Health event gives service and region."""
    if not ticket.aws_account_id:
        return None
    covering = covering_q(
        at=ticket.created_at,
        account_id=ticket.aws_account_id,
        service=event.service if event else "",
        region=event.region if event else "",
        ticket_id=ticket.pk,
    )
    windows = MaintenanceWindow.objects.filter(covering).select_related("account", "ticket")
    return windows.order_by("starts_at", "pk").first()


def _effective_end():
    return Coalesce(F("ends_at"), F("starts_at") + Value(OPEN_ENDED))


def window_list(*, account: str = "", environment: str = "", service: str = "") -> "QuerySet[_Window]":
    """Windows filtered by account id, environment and service (empty: any); an all-accounts window matches any
    account and environment."""
    windows = MaintenanceWindow.objects.select_related("account", "ticket", "created_by").annotate(
        effective_end=_effective_end()
    )
    if account:
        windows = windows.filter(Q(account__account_id=account) | Q(account__isnull=True))
    if environment:
        windows = windows.filter(Q(account__environment=environment) | Q(account__isnull=True))
    if service:
        windows = windows.filter(service__iexact=service)
    return windows


def window_list_current_first(*, now: datetime, **filters: str) -> "QuerySet[_Window]":
    """In progress and upcoming first, soonest first; then past ones, latest first."""
    windows = window_list(**filters).annotate(
        is_past=Case(When(effective_end__lte=now, then=True), default=False, output_field=BooleanField())
    )
    return windows.order_by(
        "is_past", Case(When(is_past=False, then=F("starts_at"))).asc(), F("starts_at").desc(), "pk"
    )


def windows_upcoming(*, now: datetime, account: str = "", environment: str = "") -> list[MaintenanceWindow]:
    """For the dashboard: those in progress, then those starting in the next UPCOMING_DAYS."""
    windows = window_list(account=account, environment=environment).filter(
        effective_end__gt=now, starts_at__lt=now + timedelta(days=UPCOMING_DAYS)
    )
    return list(windows.order_by("starts_at", "pk")[:UPCOMING_SHOWN])


@dataclass(frozen=True)
class CalendarDay:
    day: date
    in_month: bool
    is_today: bool
    windows: list[MaintenanceWindow]


@dataclass(frozen=True)
class MonthCalendar:
    month: date  # its first day
    weeks: list[list[CalendarDay]]
    previous: date
    next: date
    truncated: bool


def month_calendar(*, month: date, today: date, **filters: str) -> MonthCalendar:
    """A month grid, Monday first, in the site's time zone: each day lists the windows that touch it (one query)."""
    first = month.replace(day=1)
    weeks = calendar.Calendar().monthdatescalendar(first.year, first.month)
    grid_start, grid_end = weeks[0][0], weeks[-1][-1] + timedelta(days=1)
    zone = timezone.get_current_timezone()
    start = datetime.combine(grid_start, time.min, tzinfo=zone)
    end = datetime.combine(grid_end, time.min, tzinfo=zone)
    windows = list(
        window_list(**filters)
        .filter(starts_at__lt=end, effective_end__gt=start)
        .order_by("starts_at", "pk")[: CALENDAR_SHOWN + 1]
    )
    truncated = len(windows) > CALENDAR_SHOWN
    by_day: dict[date, list[MaintenanceWindow]] = {}
    for window in windows[:CALENDAR_SHOWN]:
        day = max(timezone.localtime(window.starts_at, zone).date(), grid_start)
        # a window ending at midnight does not touch the day after
        last = timezone.localtime(window.effective_end - timedelta(microseconds=1), zone).date()
        while day <= last and day < grid_end:
            by_day.setdefault(day, []).append(window)
            day += timedelta(days=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return MonthCalendar(
        month=first,
        weeks=[[CalendarDay(d, d.month == first.month, d == today, by_day.get(d, [])) for d in week] for week in weeks],
        previous=(first - timedelta(days=1)).replace(day=1),
        next=next_month,
        truncated=truncated,
    )
