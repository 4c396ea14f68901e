"""CloudWatch alarms pushed through SNS (the alarm's own message) or EventBridge: one ticket per alarm, following its
state. Samples are AWS's documented shapes (docs/aws.md#cloudwatch-alarms)."""

import json
import threading
from pathlib import Path

import pytest
from django.db import connection

from accounts.roles import Role
from integrations.models import Alarm, AlarmSeverity, SnsMessage
from integrations.push import services as push_services
from tickets.models import Severity, Ticket, TicketEvent

from ..factories import QueueFactory, UserFactory
from .sns_fakes import forger, notification, post_as_sns, signer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("topic", "aws")]

SAMPLES = Path(__file__).parent / "samples"


def _sample(name: str, **changes) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text()) | changes


def _metric_alarm(**changes) -> dict:
    return _sample("cloudwatch_alarm_metric", **changes)


@pytest.fixture
def deliver(post, broker):
    """SNS delivers the message (a new MessageId each time) and a worker ingests it: the outcome recorded."""

    def deliver(message: dict | str) -> str:
        fields = signer().sign(notification(message))
        assert post(fields).status_code == 200
        broker.work()
        return SnsMessage.objects.get(message_id=fields["MessageId"]).outcome

    return deliver


def _ticket() -> Ticket:
    return Ticket.objects.get(tags__name="cloudwatch")


def _events(ticket: Ticket) -> list[tuple[str, dict]]:
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("pk").values_list("kind", "data"))


def test_an_alarm_opens_an_incident_in_the_accounts_queue_with_what_the_alarm_watches(deliver, prod_account):
    assert deliver(_metric_alarm()) == "opened"

    ticket = _ticket()
    assert ticket.kind == Ticket.Kind.INCIDENT and ticket.status == Ticket.Status.NEW
    assert ticket.title == "CloudWatch alarm: prod-api-5xx-high in us-east-1 (Payments prod)"
    assert ticket.queue == prod_account.owner_queue
    assert ticket.severity.name == "SEV2"  # no mapping: production's default
    assert ticket.aws_account_id == prod_account.account_id
    assert "More than 1% of API requests fail with a 5xx." in ticket.description
    assert "AWS/ApplicationELB HTTPCode_Target_5XX_Count (LoadBalancer=app/prod-api/50dc6c495c0c9188)" in (
        ticket.description
    )
    assert "In alarm when: Sum ≥ 10" in ticket.description
    assert "Threshold Crossed: 1 out of the last 1 datapoints" in ticket.description
    alarm = Alarm.objects.get()
    assert (alarm.account, alarm.region, alarm.name, alarm.state, alarm.ticket) == (
        prod_account,
        "us-east-1",
        "prod-api-5xx-high",
        "ALARM",
        ticket,
    )


def test_repeated_alarm_notifications_of_one_episode_update_the_ticket_never_open_another(deliver, prod_account):
    deliver(_metric_alarm())
    # the metric stops reporting, then breaches again: the same episode
    assert (
        deliver(
            _metric_alarm(
                NewStateValue="INSUFFICIENT_DATA",
                OldStateValue="ALARM",
                NewStateReason="Insufficient Data: 1 datapoint was unknown.",
                StateChangeTime="2026-03-02T10:06:27.123+0000",
            )
        )
        == "noted"
    )
    assert (
        deliver(
            _metric_alarm(
                OldStateValue="INSUFFICIENT_DATA",
                NewStateReason="Threshold Crossed: 1 out of the last 1 datapoints [40.0] was greater than or equal to "
                "the threshold (10.0).",
                StateChangeTime="2026-03-02T10:09:27.123+0000",
            )
        )
        == "updated"
    )

    ticket = _ticket()
    assert ticket.status == Ticket.Status.NEW  # still open: one ticket for the episode
    updates = [data for kind, data in _events(ticket) if kind == "aws_updated"]
    assert [u["summary"] for u in updates] == [
        "CloudWatch: in alarm → short of data.",
        "CloudWatch: short of data → in alarm.",
    ]
    assert updates[1]["lines"] == [
        "Threshold Crossed: 1 out of the last 1 datapoints [40.0] was greater than or equal to the threshold (10.0)."
    ]
    assert Alarm.objects.get().state == "ALARM"


def test_an_sns_redelivery_changes_nothing(post, broker, prod_account):
    fields = signer().sign(notification(_metric_alarm()))
    assert post(fields).status_code == 200
    assert post(fields).status_code == 200  # the same MessageId: SNS retried
    broker.work()
    assert SnsMessage.objects.get().outcome == "opened"
    assert Ticket.objects.count() == 1


def test_the_same_change_delivered_twice_opens_one_ticket(deliver, prod_account):
    # An alarm action and an EventBridge rule, or two topics: two messages, one StateChangeTime
    assert deliver(_metric_alarm()) == "opened"
    assert deliver(_metric_alarm()) == "unchanged"
    assert Ticket.objects.count() == 1
    assert len(_events(_ticket())) == 1


def test_ok_resolves_with_a_note_and_the_next_alarm_reopens_the_same_ticket(deliver, prod_account):
    deliver(_metric_alarm())
    ok = _metric_alarm(
        NewStateValue="OK",
        OldStateValue="ALARM",
        NewStateReason="Threshold Crossed: 1 out of the last 1 datapoints [0.0] was not greater than or equal to the "
        "threshold (10.0).",
        StateChangeTime="2026-03-02T10:15:27.123+0000",
    )
    assert deliver(ok) == "resolved"
    ticket = _ticket()
    assert ticket.status == Ticket.Status.RESOLVED
    resolved = _events(ticket)[-1]
    assert resolved[0] == "status_changed"
    assert resolved[1]["note"].startswith("CloudWatch: the alarm is OK. Threshold Crossed")

    assert deliver(_metric_alarm(OldStateValue="OK", StateChangeTime="2026-03-02T11:30:00.000+0000")) == "reopened"
    ticket.refresh_from_db()
    assert ticket.status in Ticket.OPEN_STATUSES
    assert Ticket.objects.count() == 1
    assert _events(ticket)[-1][1]["note"].startswith("CloudWatch: in alarm again.")


def test_insufficient_data_or_ok_before_any_alarm_opens_nothing(deliver, prod_account):
    assert deliver(_metric_alarm(NewStateValue="INSUFFICIENT_DATA", OldStateValue="OK")) == "unchanged"
    assert deliver(_metric_alarm(NewStateValue="OK", StateChangeTime="2026-03-02T10:20:00.000+0000")) == "unchanged"
    assert not Ticket.objects.exists()
    assert Alarm.objects.get().state == "OK"


def test_an_older_change_arriving_late_is_ignored(deliver, prod_account):
    deliver(_metric_alarm())
    deliver(_metric_alarm(NewStateValue="OK", OldStateValue="ALARM", StateChangeTime="2026-03-02T10:15:00.000+0000"))
    late = _metric_alarm(
        NewStateValue="INSUFFICIENT_DATA", OldStateValue="ALARM", StateChangeTime="2026-03-02T10:05:00.000+0000"
    )

    assert deliver(late) == "unchanged"

    assert _ticket().status == Ticket.Status.RESOLVED
    alarm = Alarm.objects.get()
    assert alarm.state == "OK" and alarm.state_changed_at.isoformat() == "2026-03-02T10:15:00+00:00"


def test_a_composite_alarm_shows_its_rule(deliver, prod_account, client):
    assert deliver(_sample("cloudwatch_alarm_composite")) == "opened"

    ticket = _ticket()
    assert ticket.title == "CloudWatch alarm: checkout degraded in eu-west-1 (Payments prod)"
    assert 'Composite alarm rule: ALARM("checkout-latency-p99") OR ALARM("checkout-5xx")' in ticket.description
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["alarm", "cloudwatch", "composite"]
    client.force_login(UserFactory(role=Role.MANAGER))
    page = client.get(f"/aws/tickets/{ticket.reference}/").content.decode()
    assert "ALARM(&quot;checkout-latency-p99&quot;) OR ALARM(&quot;checkout-5xx&quot;)" in page
    assert (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/checkout%20degraded"
        in page
    )


def test_an_eventbridge_alarm_state_change_takes_the_same_path(deliver, prod_account):
    event = _sample("eventbridge_alarm_state_change")
    assert deliver(event) == "opened"
    ticket = _ticket()
    assert ticket.title == "CloudWatch alarm: ServerCpuTooHigh in us-east-1 (Payments prod)"
    assert "AWS/EC2 CPUUtilization (InstanceId=i-12345678901234567)" in ticket.description
    alarm = Alarm.objects.get()
    assert alarm.metric == {
        "name": "CPUUtilization",
        "namespace": "AWS/EC2",
        "statistic": "Average",
        "dimensions": [["InstanceId", "i-12345678901234567"]],
        "period": 300,
    }

    # the same alarm's SNS message, for the OK that follows, meets the same row and ticket
    ok = _metric_alarm(
        AlarmName="ServerCpuTooHigh",
        AlarmArn="arn:aws:cloudwatch:us-east-1:111122223333:alarm:ServerCpuTooHigh",
        NewStateValue="OK",
        OldStateValue="ALARM",
        StateChangeTime="2026-03-02T10:30:00.000+0000",
    )
    assert deliver(ok) == "resolved"
    assert Alarm.objects.count() == 1


def test_the_admins_mapping_sets_the_severity_first_match_first(deliver, prod_account):
    sev = {s.name: s for s in Severity.objects.all()}
    AlarmSeverity.objects.create(name_prefix="prod-api-", severity=sev["SEV1"], position=1)
    AlarmSeverity.objects.create(name_prefix="prod-", severity=sev["SEV3"], position=2)
    AlarmSeverity.objects.create(tag_key="team", tag_value="payments", severity=sev["SEV4"], position=3)

    deliver(_metric_alarm())
    deliver(
        _metric_alarm(AlarmName="prod-db-cpu", AlarmArn="arn:aws:cloudwatch:us-east-1:111122223333:alarm:prod-db-cpu")
    )
    tagged = _sample("eventbridge_alarm_state_change")
    tagged["detail"]["alarmTags"] = {"team": "payments"}  # EventBridge's tag propagation
    deliver(tagged)

    severities = dict(Ticket.objects.values_list("title", "severity__name"))
    assert severities == {
        "CloudWatch alarm: prod-api-5xx-high in us-east-1 (Payments prod)": "SEV1",
        "CloudWatch alarm: prod-db-cpu in us-east-1 (Payments prod)": "SEV3",
        "CloudWatch alarm: ServerCpuTooHigh in us-east-1 (Payments prod)": "SEV4",
    }


def test_tags_a_propagating_alarm_sends_through_sns_map_its_severity(deliver, prod_account):
    AlarmSeverity.objects.create(tag_key="team", tag_value="payments", severity=Severity.objects.get(name="SEV1"))
    deliver(_metric_alarm(AlarmTags={"team": "payments", "env": "prod"}, AlarmTagsStatus="SUCCESS"))
    assert _ticket().severity.name == "SEV1"


def test_alarm_tags_meet_the_tag_routes(deliver, prod_account):
    from integrations.models import TagRoute

    payments = QueueFactory(name="Payments")
    TagRoute.objects.create(tag_key="team", tag_value="payments", queue=payments)
    event = _sample("eventbridge_alarm_state_change")
    event["detail"]["alarmTags"] = {"team": "payments"}
    deliver(event)
    assert _ticket().queue == payments


@pytest.mark.parametrize("enabled", [None, False], ids=["unknown", "disabled"])
def test_an_alarm_of_an_account_not_registered_or_disabled_is_ignored_with_the_reason(deliver, prod_account, enabled):
    if enabled is None:
        prod_account.delete()
    else:
        prod_account.enabled = False
        prod_account.save(update_fields=["enabled"])
    assert deliver(_metric_alarm()) == "ignored: account 111122223333 is not registered or is disabled"
    assert not Ticket.objects.exists() and not Alarm.objects.exists()


def test_a_forged_alarm_is_refused_before_anything_is_stored(client, prod_account):
    response = post_as_sns(client, forger().sign(notification(_metric_alarm())))
    assert response.status_code == 403
    assert not SnsMessage.objects.exists() and not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"NewStateValue": "PANIC"}, "The alarm's NewStateValue 'PANIC' is not ALARM, OK or INSUFFICIENT_DATA."),
        ({"StateChangeTime": "yesterday"}, "The alarm's StateChangeTime is not a time with a zone."),
        ({"StateChangeTime": None}, "The alarm's StateChangeTime is not a time with a zone."),
        ({"AlarmName": ""}, "The alarm message has no AlarmName."),
        ({"AlarmName": ["x"]}, "A member AWS sends as text is not text."),
        ({"Trigger": "CPU"}, "The alarm's Trigger is not an object."),
        ({"AWSAccountId": "999999999999"}, "The alarm's ARN names another account or alarm than the message."),
        ({"AlarmArn": "arn:aws:sns:us-east-1:111122223333:x"}, "The alarm's ARN is not a CloudWatch alarm ARN."),
        ({"AlarmArn": None, "Region": "Atlantis"}, "The alarm's region 'Atlantis' is not one Supportdesk knows."),
        ({"AlarmArn": None, "AWSAccountId": "12"}, "The alarm names no valid AWS account."),
        (
            {"AlarmArn": f"arn:aws:cloudwatch:{'x' * 40}-1:111122223333:alarm:prod-api-5xx-high"},
            "The alarm's ARN names no region.",
        ),
    ],
)
def test_a_malformed_alarm_is_refused_with_the_reason_recorded(deliver, prod_account, changes, reason):
    assert deliver(_metric_alarm(**changes)) == f"refused: {reason}"
    assert not Ticket.objects.exists() and not Alarm.objects.exists()
    assert SnsMessage.objects.get().ingested_at is not None  # taken: a retry would not help


def test_a_threshold_json_allows_but_no_column_stores_is_left_out(deliver, prod_account):
    message = json.dumps(_metric_alarm()).replace('"Threshold": 10.0', '"Threshold": NaN')
    assert deliver(message) == "opened"
    assert "threshold" not in Alarm.objects.get().metric


def test_an_alarm_message_without_its_arn_is_placed_by_its_region_name(deliver, prod_account):
    assert deliver(_metric_alarm(AlarmArn=None, Region="EU - Ireland")) == "opened"
    assert Alarm.objects.get().region == "eu-west-1"


@pytest.mark.parametrize("alarms", [1, 20])
def test_applying_an_alarm_takes_the_same_queries_however_many_alarms_exist(
    deliver, prod_account, alarms, django_assert_max_num_queries, broker, post
):
    for n in range(alarms):
        name = f"alarm-{n}"
        deliver(_metric_alarm(AlarmName=name, AlarmArn=f"arn:aws:cloudwatch:us-east-1:111122223333:alarm:{name}"))
    fields = signer().sign(notification(_metric_alarm(StateChangeTime="2026-03-02T11:00:00.000+0000")))
    post(fields)
    # 26: the inbox row, the alarm, the filing (ticket, watchers, tags, timeline) and the reactions after it
    with django_assert_max_num_queries(26):
        broker.work()
    assert SnsMessage.objects.get(message_id=fields["MessageId"]).outcome == "opened"


@pytest.mark.parametrize("alarms", [1, 10])
def test_the_ticket_panel_shows_the_alarm_in_constant_queries(
    deliver, prod_account, client, alarms, django_assert_max_num_queries
):
    for n in range(alarms):
        deliver(_metric_alarm(StateChangeTime=f"2026-03-02T1{n // 6}:{n % 6}0:00.000+0000"))
    ticket = _ticket()
    client.force_login(UserFactory(role=Role.MANAGER))

    with django_assert_max_num_queries(11):
        page = client.get(f"/aws/tickets/{ticket.reference}/").content.decode()

    assert "CloudWatch alarm" in page
    assert (
        'href="https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/'
        'prod-api-5xx-high"' in page
    )
    assert "AWS/ApplicationELB · HTTPCode_Target_5XX_Count" in page
    assert "LoadBalancer=app/prod-api/50dc6c495c0c9188" in page
    assert "Sum ≥ 10" in page and "over 1 period of 60 s" in page
    assert "Threshold Crossed" in page


def test_the_panel_of_an_alarm_ticket_is_a_404_for_people_who_may_not_see_it(deliver, prod_account, client):
    deliver(_metric_alarm())
    client.force_login(UserFactory(role=Role.REQUESTER))
    assert client.get(f"/aws/tickets/{_ticket().reference}/").status_code == 404


def test_admins_map_alarms_to_severities_by_prefix_or_tag_not_both(client, admin_user):
    client.force_login(admin_user)
    sev1 = Severity.objects.get(name="SEV1")
    url = "/admin/integrations/alarmseverity/add/"
    both = client.post(url, {"name_prefix": "prod-", "tag_key": "team", "severity": sev1.pk, "position": 0})
    assert both.status_code == 200 and "not both" in both.content.decode()
    assert client.post(url, {"name_prefix": "prod-", "severity": sev1.pk, "position": 0}).status_code == 302
    assert str(AlarmSeverity.objects.get()) == "name starts 'prod-' → SEV1"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded severities
def test_an_alarm_delivered_by_its_action_and_by_eventbridge_at_once_opens_one_ticket(prod_account):
    # given: one change of one alarm, as its SNS action and an EventBridge rule both deliver it, two workers at once
    event = _sample("eventbridge_alarm_state_change")
    message = _metric_alarm(
        AlarmName="ServerCpuTooHigh",
        AlarmArn="arn:aws:cloudwatch:us-east-1:111122223333:alarm:ServerCpuTooHigh",
        StateChangeTime=event["detail"]["state"]["timestamp"],
    )
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def work(ingest):
        try:
            start.wait()
            outcomes.append(ingest())
        except Exception as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(lambda: push_services.alarm_message_ingest(message=message),)),
        threading.Thread(target=work, args=(lambda: push_services.eventbridge_event_ingest(event=event),)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then: the second waited for the first's lock on the alarm, then found the change applied
    assert errors == []
    assert sorted(outcomes) == ["opened", "unchanged"]
    assert Ticket.objects.count() == 1 and Alarm.objects.count() == 1
