"""Maintenance windows: which window covers a ticket, the calendar, and the hand-entered windows' rules."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from integrations.maintenance import selectors as maintenance
from integrations.maintenance import services as maintenance_services
from integrations.maintenance.forms import WindowForm
from integrations.models import AwsAccount, Finding, FindingGroup, HealthEvent, MaintenanceWindow, TrustedAdvisorCheck
from tickets.models import Ticket

from ..factories import QueueFactory, TicketFactory, UserFactory
from .fake_aws import health_event

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def window(**fields) -> MaintenanceWindow:
    fields.setdefault("starts_at", NOW - timedelta(hours=1))
    fields.setdefault("ends_at", NOW + timedelta(hours=1))
    return MaintenanceWindow.objects.create(**fields)


def other_account() -> AwsAccount:
    return AwsAccount.objects.create(
        account_id="444455556666", name="Shop staging", environment="staging", owner_queue=QueueFactory()
    )


def _ticket(account_id: str, **fields) -> Ticket:
    with time_machine.travel(NOW, tick=False):
        return TicketFactory(aws_account_id=account_id, **fields)


COVERING = [
    # (window scope, covers a ticket of prod_account raised at NOW)
    ({}, True),  # all accounts, any service and region
    ({"account": "prod"}, True),
    ({"account": "other"}, False),
    ({"starts_at": NOW + timedelta(minutes=1)}, False),  # not started yet
    ({"ends_at": NOW}, False),  # ended as it was raised
    ({"ends_at": None, "starts_at": NOW - timedelta(hours=23)}, True),  # no end: a day long
    ({"ends_at": None, "starts_at": NOW - timedelta(hours=25)}, False),
    ({"service": "RDS"}, True),  # the ticket's service is unknown: the account decides
    ({"resources": ["arn:aws:rds:eu-west-1:111122223333:db:db-1"]}, False),  # one database, not the whole account
]


@pytest.mark.parametrize(("scope", "covers"), COVERING)
def test_which_windows_cover_a_ticket(prod_account, scope, covers):
    account = {"prod": prod_account, "other": other_account()}.get(scope.pop("account", None))
    made = window(account=account, **scope)
    ticket = _ticket(prod_account.account_id)

    assert (maintenance.ticket_window(ticket=ticket, event=None) == made) is covers
    # the SQL twin agrees
    assert Ticket.objects.filter(maintenance.ticket_in_maintenance(), pk=ticket.pk).exists() is covers


def test_a_ticket_without_an_account_is_never_in_maintenance(prod_account):
    window()
    ticket = _ticket("")
    assert maintenance.ticket_window(ticket=ticket, event=None) is None
    assert not Ticket.objects.filter(maintenance.ticket_in_maintenance(), pk=ticket.pk).exists()


@pytest.mark.parametrize(
    ("service", "region", "covers"),
    [
        ("EC2", "eu-west-1", True),
        ("ec2", "", True),
        ("", "eu-west-1", True),
        ("RDS", "", False),
        ("", "us-east-1", False),
    ],
)
def test_a_health_tickets_service_and_region_must_match_the_windows(prod_account, service, region, covers):
    made = window(account=prod_account, service=service, region=region)
    ticket = _ticket(prod_account.account_id, kind=Ticket.Kind.AWS_HEALTH)
    event = HealthEvent.objects.create(
        account=prod_account,
        arn="arn:1",
        service="EC2",
        region="eu-west-1",
        event_type_code="X",
        category="issue",
        status="open",
        last_updated_at=NOW,
        ticket=ticket,
    )

    assert (maintenance.ticket_window(ticket=ticket, event=event) == made) is covers
    assert Ticket.objects.filter(maintenance.ticket_in_maintenance(), pk=ticket.pk).exists() is covers


def _finding_ticket(account: AwsAccount, resource_id: str) -> Ticket:
    ticket = _ticket(account.account_id, kind=Ticket.Kind.AWS_FINDING)
    check, _ = TrustedAdvisorCheck.objects.get_or_create(check_id="idle-rds", name="Idle RDS", category="cost")
    group = FindingGroup.objects.create(account=account, ta_check=check, resource_key=resource_id, ticket=ticket)
    Finding.objects.create(
        account=account,
        ta_check=check,
        resource_key=resource_id,
        group=group,
        resource_id=resource_id,
        resource_arn=f"arn:aws:rds:eu-west-1:111122223333:db:{resource_id}",
        region="eu-west-1",
        status="warning",
        fingerprint="f",
        first_seen_at=NOW,
        changed_at=NOW,
    )
    return ticket


def _health_ticket(account: AwsAccount, arn: str, resources: list[str]) -> tuple[Ticket, HealthEvent]:
    ticket = _ticket(account.account_id, kind=Ticket.Kind.AWS_HEALTH)
    event = HealthEvent.objects.create(
        account=account,
        arn=arn,
        service="EC2",
        region="eu-west-1",
        event_type_code="X",
        category="issue",
        status="open",
        last_updated_at=NOW,
        entities=[{"value": r} for r in resources],
        ticket=ticket,
    )
    return ticket, event


@pytest.mark.parametrize(
    ("named", "covers"),
    [
        (["db-1"], True),
        (["db-9", "arn:aws:rds:eu-west-1:111122223333:db:db-1"], True),
        (["db-2"], False),
        ([""], False),
    ],
)
def test_a_window_for_named_resources_covers_the_findings_about_them(prod_account, named, covers):
    made = window(account=prod_account, resources=named)
    ticket = _finding_ticket(prod_account, "db-1")

    assert (maintenance.ticket_window(ticket=ticket, event=None) == made) is covers
    assert Ticket.objects.filter(maintenance.ticket_in_maintenance(), pk=ticket.pk).exists() is covers


def test_a_window_for_named_resources_covers_the_health_tickets_affecting_one(prod_account):
    made = window(account=prod_account, resources=["i-0b2"])
    hit, hit_event = _health_ticket(prod_account, "arn:1", ["i-0a1", "i-0b2"])
    missed, missed_event = _health_ticket(prod_account, "arn:2", ["i-0c3"])

    assert maintenance.ticket_window(ticket=hit, event=hit_event) == made
    assert maintenance.ticket_window(ticket=missed, event=missed_event) is None
    assert list(Ticket.objects.filter(maintenance.ticket_in_maintenance())) == [hit]


def test_a_health_window_covers_other_tickets_about_its_resources(prod_account):
    # given: AWS announces maintenance of one instance, and the window names it
    announcing, event = _health_ticket(prod_account, "arn:maintenance", ["i-0a1"])
    made = window(account=prod_account, service="EC2", resources=["i-0a1"], health_event=event, ticket=announcing)
    # when: another Health ticket about that instance is raised during it
    later, later_event = _health_ticket(prod_account, "arn:issue", ["i-0a1"])
    # then: that one shows the window; the announcing ticket does not
    assert maintenance.ticket_window(ticket=later, event=later_event) == made
    assert maintenance.ticket_window(ticket=announcing, event=event) is None
    assert list(Ticket.objects.filter(maintenance.ticket_in_maintenance())) == [later]


def test_a_health_window_does_not_cover_the_ticket_announcing_it(fake_aws, prod_account):
    fake_aws.publish(
        prod_account.account_id,
        health_event(1, category="scheduledChange", end_time=timezone.now() + timedelta(hours=2)),
    )
    from integrations.health import services as health_services

    with time_machine.travel(timezone.now(), tick=False):
        health_services.health_poll(account=prod_account)
    made = MaintenanceWindow.objects.get()
    ticket = made.ticket
    assert ticket is not None and made.is_from_health
    assert maintenance.ticket_window(ticket=ticket, event=made.health_event) is None
    assert not Ticket.objects.filter(maintenance.ticket_in_maintenance(), pk=ticket.pk).exists()


def test_the_list_puts_current_and_upcoming_first_then_the_past_latest_first():
    past_old = window(title="old", starts_at=NOW - timedelta(days=9), ends_at=NOW - timedelta(days=8))
    past_new = window(title="recent", starts_at=NOW - timedelta(days=3), ends_at=NOW - timedelta(days=2))
    later = window(title="later", starts_at=NOW + timedelta(days=5), ends_at=NOW + timedelta(days=6))
    soon = window(title="soon", starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=2))
    now_on = window(title="now")

    listed = list(maintenance.window_list_current_first(now=NOW))

    assert listed == [now_on, soon, later, past_new, past_old]


def test_the_list_filters_by_account_environment_and_service(prod_account):
    staging = other_account()
    everywhere = window(title="all")
    prod_rds = window(account=prod_account, service="RDS")
    staging_ec2 = window(account=staging, service="EC2")

    assert set(maintenance.window_list(account=prod_account.account_id)) == {everywhere, prod_rds}
    assert set(maintenance.window_list(environment="staging")) == {everywhere, staging_ec2}
    assert set(maintenance.window_list(service="rds")) == {prod_rds}


def test_upcoming_shows_those_in_progress_and_the_next_two_weeks_only():
    on = window(title="on")
    soon = window(title="soon", starts_at=NOW + timedelta(days=13), ends_at=NOW + timedelta(days=13, hours=2))
    window(title="far", starts_at=NOW + timedelta(days=15), ends_at=NOW + timedelta(days=16))
    window(title="over", starts_at=NOW - timedelta(days=2), ends_at=NOW - timedelta(days=1))

    assert maintenance.windows_upcoming(now=NOW) == [on, soon]


def _days_with(cal, made) -> list[date]:
    return [d.day for week in cal.weeks for d in week if made in d.windows]


def test_the_calendar_draws_a_window_on_each_day_it_touches_across_the_month_boundary():
    made = window(starts_at=datetime(2026, 3, 30, 22, tzinfo=UTC), ends_at=datetime(2026, 4, 2, 0, tzinfo=UTC))

    march = maintenance.month_calendar(month=date(2026, 3, 1), today=date(2026, 3, 10))
    april = maintenance.month_calendar(month=date(2026, 4, 15), today=date(2026, 3, 10))

    # March's grid runs to Sunday 5 April, April's starts on Monday 30 March; ending at midnight spares 2 April
    assert _days_with(march, made) == [date(2026, 3, 30), date(2026, 3, 31), date(2026, 4, 1)]
    assert _days_with(april, made) == [date(2026, 3, 30), date(2026, 3, 31), date(2026, 4, 1)]
    assert (march.previous, march.next, april.month) == (date(2026, 2, 1), date(2026, 4, 1), date(2026, 4, 1))
    assert march.weeks[0][0].day == date(2026, 2, 23) and len(march.weeks[0]) == 7
    assert next(d for week in march.weeks for d in week if d.is_today).day == date(2026, 3, 10)


def test_the_calendar_places_windows_on_the_days_of_the_site_time_zone():
    # 23:00 to 23:30 UTC on 31 March is already 1 April in Auckland (UTC+13)
    made = window(starts_at=datetime(2026, 3, 31, 23, tzinfo=UTC), ends_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))

    with timezone.override(ZoneInfo("Pacific/Auckland")):
        april = maintenance.month_calendar(month=date(2026, 4, 1), today=date(2026, 4, 1))
    with timezone.override(ZoneInfo("UTC")):
        march = maintenance.month_calendar(month=date(2026, 3, 1), today=date(2026, 3, 1))

    assert _days_with(april, made) == [date(2026, 4, 1)]
    assert _days_with(march, made) == [date(2026, 3, 31)]


def test_a_hand_entered_window_records_who_entered_it(prod_account):
    manager = UserFactory()
    made = maintenance_services.maintenance_window_create(
        actor=manager,
        title="DB upgrade",
        account=prod_account,
        service="RDS",
        region="eu-west-1",
        starts_at=NOW,
        ends_at=NOW + timedelta(hours=2),
        resources=["db-1"],
        notes="",
    )
    assert (made.created_by, made.is_from_health, made.label) == (manager, False, "DB upgrade")


def test_health_windows_cannot_be_changed_or_deleted_here(fake_aws, prod_account):
    from integrations.health import services as health_services

    fake_aws.publish(prod_account.account_id, health_event(1, category="scheduledChange"))
    health_services.health_poll(account=prod_account)
    made = MaintenanceWindow.objects.get()

    with pytest.raises(maintenance_services.HealthWindowReadOnly):
        maintenance_services.maintenance_window_update(window=made, notes="mine now")
    with pytest.raises(maintenance_services.HealthWindowReadOnly):
        maintenance_services.maintenance_window_delete(window=made)
    assert MaintenanceWindow.objects.get().notes != "mine now"


def _form(**data) -> WindowForm:
    return WindowForm({"title": "Upgrade", "starts_at": "2026-03-10T10:00", "ends_at": "2026-03-10T12:00", **data})


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"ends_at": "2026-03-10T09:00"}, "ends_at", "The window must end after it starts."),
        ({"ends_at": "2026-03-10T10:00"}, "ends_at", "The window must end after it starts."),
        ({"ends_at": "2026-05-10T10:00"}, "ends_at", "A window lasts at most 31 days."),
        ({"ends_at": ""}, "ends_at", "This field is required."),
        ({"starts_at": "yesterday"}, "starts_at", "Enter a valid date/time."),
        ({"account": "99999"}, "account", "Choose one of the AWS accounts Supportdesk knows."),
        ({"account": "x'; drop"}, "account", "Choose one of the AWS accounts Supportdesk knows."),
        ({"region": "Europe"}, "region", "Use a region name such as eu-west-1."),
        ({"service": "<script>"}, "service", "Letters, digits, spaces and _.- only."),
    ],
)
def test_the_form_says_what_is_wrong(data, field, message):
    form = _form(**data)
    assert not form.is_valid()
    assert message in form.errors[field]


def test_the_form_reads_times_in_the_site_time_zone_and_resources_one_a_line(prod_account):
    with timezone.override(ZoneInfo("Europe/Paris")):
        form = _form(account=str(prod_account.pk), region="eu-west-3", resources="db-1\n\n  db-2 \n")
        assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["starts_at"] == datetime(2026, 3, 10, 9, tzinfo=UTC)  # 10:00 in Paris (UTC+1)
    assert (data["account"], data["resources"]) == (prod_account, ["db-1", "db-2"])
