from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from awsgateway.errors import AwsAccessDenied
from awsgateway.health import Entity
from integrations.health import services as health_service
from integrations.health import services as health_services
from integrations.models import AwsAccount, HealthEvent, MaintenanceWindow, PollRun, TagRoute
from integrations.push import services as push_services
from tickets.models import Ticket, TicketEvent

from ..factories import QueueFactory, UserFactory
from .fake_aws import T0, T0_ISO, T0_RFC1123, health_event, updated

pytestmark = pytest.mark.django_db


def _poll(account):
    account.refresh_from_db()
    health_services.health_poll(account=account)
    return PollRun.objects.filter(account=account).first()


def _health_tickets():
    return Ticket.objects.filter(kind=Ticket.Kind.AWS_HEALTH)


def test_an_open_issue_opens_a_ticket_routed_by_its_resources_tags(fake_aws, prod_account):
    payments = QueueFactory(name="Payments")
    TagRoute.objects.create(tag_key="team", tag_value="payments", queue=payments)
    event = health_event(1)
    fake_aws.publish(prod_account.account_id, event)
    fake_aws.descriptions[event.arn] = "We are investigating increased error rates."
    fake_aws.entities[(event.arn, prod_account.account_id)] = [
        Entity(event.arn, "i-0abc", prod_account.account_id, "IMPAIRED", {"team": "payments"})
    ]

    run = _poll(prod_account)

    ticket = _health_tickets().get()
    assert ticket.queue == payments
    assert ticket.severity.name == "SEV2"  # an issue in production
    assert "increased error rates" in ticket.description and "i-0abc" in ticket.description
    assert ticket.title == "AWS Health: EC2 operational issue in eu-west-1 (Payments prod)"
    row = HealthEvent.objects.get()
    assert row.ticket == ticket and row.entities == [
        {"value": "i-0abc", "status": "IMPAIRED", "tags": {"team": "payments"}}
    ]
    assert run.opened == 1
    prod_account.refresh_from_db()
    assert prod_account.health_cursor == event.last_updated


def test_untagged_events_go_to_the_owner_queue(fake_aws, prod_account):
    fake_aws.publish(prod_account.account_id, health_event(1))
    _poll(prod_account)
    assert _health_tickets().get().queue == prod_account.owner_queue


def test_the_next_poll_asks_from_the_cursor_less_an_overlap_and_writes_nothing_when_unchanged(fake_aws, prod_account):
    fake_aws.publish(prod_account.account_id, health_event(1))
    _poll(prod_account)

    with CaptureQueriesContext(connection) as queries:
        run = _poll(prod_account)

    assert fake_aws.calls[-1] == f"events since {T0 - timedelta(minutes=15)}"
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))]
    assert len(writes) == 1 and "integrations_pollrun" in writes[0]
    assert (run.opened, run.updated) == (0, 0)


def test_an_update_goes_to_the_timeline_and_closing_resolves_the_ticket(fake_aws, prod_account):
    event = health_event(1)
    fake_aws.publish(prod_account.account_id, event)
    _poll(prod_account)
    fake_aws.publish(prod_account.account_id, updated(event, 30, status="closed", end_time=T0 + timedelta(hours=1)))
    fake_aws.descriptions[event.arn] = "The issue has been resolved."

    run = _poll(prod_account)

    ticket = _health_tickets().get()
    assert ticket.status == "resolved" and run.resolved == 1
    update = TicketEvent.objects.get(ticket=ticket, kind="aws_updated")
    assert "Status: open → closed" in update.data["lines"]
    assert "AWS wrote: The issue has been resolved." in update.data["lines"]


def test_an_updates_timeline_entry_shows_awss_last_updated_time(fake_aws, prod_account, client):
    event = health_event(1)
    fake_aws.publish(prod_account.account_id, event)
    _poll(prod_account)
    fake_aws.publish(prod_account.account_id, updated(event, 30, status="closed"))

    _poll(prod_account)

    ticket = _health_tickets().get()
    update = TicketEvent.objects.get(ticket=ticket, kind="aws_updated")
    said = f"AWS updated the event at {T0:%Y-%m-%d} 09:30:00 UTC."
    assert update.data["summary"] == said
    client.force_login(UserFactory(role=Role.MANAGER))
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert said in page


def test_a_scheduled_change_becomes_a_maintenance_window_on_its_ticket(fake_aws, prod_account):
    event = health_event(2, status="upcoming", category="scheduledChange", end_time=T0 + timedelta(hours=2))
    fake_aws.publish(prod_account.account_id, event)
    fake_aws.entities[(event.arn, prod_account.account_id)] = [Entity(event.arn, "i-0abc", "", "PENDING", {})]

    _poll(prod_account)

    window = MaintenanceWindow.objects.get()
    ticket = _health_tickets().get()
    assert (window.ticket, window.starts_at, window.ends_at) == (ticket, T0, T0 + timedelta(hours=2))
    assert (window.service, window.region, window.resources) == ("EC2", "eu-west-1", ["i-0abc"])
    assert ticket.severity.name == "SEV4"


def test_a_scheduled_change_on_more_resources_than_an_event_keeps_covers_the_service(
    fake_aws, prod_account, monkeypatch
):
    # given: AWS names three instances where an event keeps two
    monkeypatch.setattr(health_service, "ENTITIES_KEPT", 2)
    event = health_event(2, status="upcoming", category="scheduledChange", end_time=T0 + timedelta(hours=2))
    fake_aws.publish(prod_account.account_id, event)
    fake_aws.entities[(event.arn, prod_account.account_id)] = [
        Entity(event.arn, f"i-{n}", "", "PENDING", {}) for n in range(3)
    ]
    # when
    _poll(prod_account)
    # then: the window is not narrowed to the two it kept (the third would be left uncovered)
    assert HealthEvent.objects.get().entity_count == 3
    assert MaintenanceWindow.objects.get().resources == []


def test_an_event_closed_before_we_first_saw_it_is_recorded_without_a_ticket(fake_aws, prod_account):
    fake_aws.publish(prod_account.account_id, health_event(1, status="closed"))
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):  # within a first poll's look-back, on any date
        _poll(prod_account)
    assert HealthEvent.objects.get().ticket is None and not _health_tickets().exists()


def test_a_push_and_a_poll_of_the_same_event_meet_on_one_ticket(fake_aws, prod_account):
    event = health_event(1)
    pushed = {
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "source": "aws.health",
        "detail-type": "AWS Health Event",
        "account": prod_account.account_id,
        "time": T0_ISO,
        "region": "us-east-1",
        "detail": {
            "eventArn": event.arn,
            "service": "EC2",
            "eventTypeCode": event.event_type_code,
            "eventTypeCategory": "issue",
            "eventScopeCode": "ACCOUNT_SPECIFIC",
            "communicationId": "abc-1",
            "startTime": T0_RFC1123,
            "lastUpdatedTime": T0_RFC1123,
            "statusCode": "open",
            "eventRegion": "eu-west-1",
            "eventDescription": [{"language": "en_US", "latestDescription": "Pushed description."}],
            "affectedEntities": [{"entityValue": "i-0abc", "status": "IMPAIRED"}],
            "affectedAccount": prod_account.account_id,
            "page": "1",
            "totalPages": "1",
        },
    }

    assert push_services.eventbridge_event_ingest(event=pushed) == "opened"
    assert push_services.eventbridge_event_ingest(event=pushed) == "unchanged"
    fake_aws.publish(prod_account.account_id, event)
    _poll(prod_account)

    assert _health_tickets().count() == 1 and HealthEvent.objects.count() == 1
    assert "Pushed description." in _health_tickets().get().description


def test_a_push_split_into_pages_gathers_every_pages_entities(prod_account):
    def page(n, entity):
        return {
            "source": "aws.health",
            "account": prod_account.account_id,
            "detail": {
                "eventArn": "arn:aws:health:us-east-1::event/EC2/X/X_1",
                "service": "EC2",
                "eventTypeCode": "X",
                "eventTypeCategory": "issue",
                "statusCode": "open",
                "lastUpdatedTime": T0_RFC1123,
                "communicationId": f"c-{n}",
                "affectedEntities": [{"entityValue": entity, "statusCode": "IMPAIRED"}],
                "page": str(n),
                "totalPages": "2",
            },
        }

    push_services.eventbridge_event_ingest(event=page(2, "i-2"))
    push_services.eventbridge_event_ingest(event=page(1, "i-1"))
    push_services.eventbridge_event_ingest(event=page(1, "i-1"))

    row = HealthEvent.objects.get()
    assert sorted(x["value"] for x in row.entities) == ["i-1", "i-2"] and row.entity_count == 2
    assert _health_tickets().count() == 1


def test_pushes_for_unregistered_accounts_or_other_sources_are_ignored(prod_account):
    other = {"source": "aws.health", "account": "999999999999", "detail": {"eventArn": "arn:x"}}
    assert push_services.eventbridge_event_ingest(event=other).startswith("ignored: account 999999999999")
    assert push_services.eventbridge_event_ingest(event={"source": "aws.ec2", "detail": {}}).startswith("ignored")


@pytest.mark.parametrize(
    "event",
    [
        {"source": "aws.health"},
        {"source": "aws.health", "detail": []},
        {"source": "aws.health", "account": "12", "detail": {"eventArn": "arn:x"}},
        {"source": "aws.trustedadvisor", "detail": {"status": "WARN"}},
    ],
)
def test_malformed_pushes_are_refused_with_a_reason(event, prod_account):
    with pytest.raises(push_services.EventRefused):
        push_services.eventbridge_event_ingest(event=event)


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("DISABLED", "organisational view is not enabled for this organisation (AWS says DISABLED)"),
        ("PENDING", "organisational view is still being turned on"),
        ("ENABLED", "AWS denied access"),  # then the refusal is about something else, and says so itself
    ],
)
def test_an_organisational_view_not_turned_on_is_said_in_words_on_the_account_page(fake_aws, client, status, words):
    manager = AwsAccount.objects.create(
        account_id="999988887777", name="Org management", owner_queue=QueueFactory(), is_organization_manager=True
    )
    fake_aws.fail_with = AwsAccessDenied("AWS denied access to health:DescribeEventsForOrganization.")
    fake_aws.organization_view = status

    run = _poll(manager)

    assert run.outcome == "failed" and words in run.message
    client.force_login(UserFactory(role=Role.MANAGER))
    assert words in client.get(f"/aws/accounts/{manager.pk}/").content.decode()


def test_the_organisation_view_records_each_member_on_its_own_account(fake_aws, prod_account):
    manager = AwsAccount.objects.create(
        account_id="999988887777", name="Org management", owner_queue=QueueFactory(), is_organization_manager=True
    )
    member_queue = QueueFactory(name="Member team")
    member = AwsAccount.objects.create(
        account_id="444455556666", name="Member", owner_queue=member_queue, discovered_by=manager
    )
    event = health_event(1)
    fake_aws.publish(manager.account_id, event)
    fake_aws.affected[event.arn] = [prod_account.account_id, member.account_id, "000000000000"]  # one unknown

    run = _poll(manager)

    rows = HealthEvent.objects.order_by("account__account_id")
    assert [r.account for r in rows] == [prod_account, member]
    assert {r.ticket.queue for r in rows} == {prod_account.owner_queue, member_queue}
    assert run.opened == 2


def test_a_batch_of_new_events_is_filed_in_a_few_queries_per_event(fake_aws, prod_account):
    fake_aws.publish(prod_account.account_id, health_event(1))
    with CaptureQueriesContext(connection) as one:
        _poll(prod_account)
    events = [health_event(n) for n in range(2, 32)]
    fake_aws.publish(prod_account.account_id, *events)
    with CaptureQueriesContext(connection) as many:
        run = _poll(prod_account)

    assert run.opened == 30 and _health_tickets().count() == 31
    # Each new event adds its SLA clock and its queue's channels; the tickets themselves are filed together
    assert len(many) - len(one) <= 3 * 29, "\n".join(q["sql"][:100] for q in many)
