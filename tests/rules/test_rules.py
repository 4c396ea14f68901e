import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from integrations.findings import services as findings_services
from integrations.health import services as health_services
from rules.conditions import rule_q
from rules.models import Rule
from rules.services import rules_apply
from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent

from ..factories import QueueFactory, TicketFactory, UserFactory, severity
from ..integrations.fake_aws import LOW_UTILISATION, OPEN_PORTS, health_event, idle_instance, open_port

pytestmark = pytest.mark.django_db


def _rule(**fields) -> Rule:
    watchers = fields.pop("add_watchers", [])
    rule = Rule.objects.create(name=fields.pop("name", "Rule"), **fields)
    rule.add_watchers.set(watchers)
    return rule


def _applied(ticket) -> list[dict]:
    return [e.data for e in TicketEvent.objects.filter(ticket=ticket, kind="rule_applied").order_by("pk")]


CASES = [
    # (conditions, ticket fields, matches)
    ({"kinds": ["incident"]}, {"kind": "incident"}, True),
    ({"kinds": ["service_request"]}, {"kind": "incident"}, False),
    ({"environments": ["production"]}, {"environment": "production"}, True),
    ({"environments": ["production"]}, {"environment": "staging"}, False),
    ({"account_ids": ["111122223333"]}, {"aws_account_id": "111122223333"}, True),
    ({"account_ids": ["111122223333"]}, {"aws_account_id": ""}, False),
    ({"tags": ["payments", "db"]}, {"tags": ["db"]}, True),
    ({"tags": ["payments"]}, {"tags": ["web"]}, False),
    ({"text": "DISK full"}, {"title": "The disk full alarm fires"}, True),
    ({"text": "disk full"}, {"title": "Printer jam", "description": "…and the disk FULL too"}, True),
    ({"text": "disk"}, {"title": "Printer jam"}, False),
    ({"min_severity": "SEV2"}, {"severity": "SEV1"}, True),
    ({"min_severity": "SEV2"}, {"severity": "SEV2"}, True),
    ({"min_severity": "SEV2"}, {"severity": "SEV3"}, False),
    ({"kinds": ["incident"], "environments": ["production"]}, {"kind": "incident", "environment": "staging"}, False),
    ({}, {}, True),  # no conditions: everything
]


@pytest.mark.parametrize(("conditions", "fields", "matches"), CASES)
def test_conditions(conditions, fields, matches):
    if "min_severity" in conditions:
        conditions["min_severity"] = severity(conditions["min_severity"])
    if "severity" in fields:
        fields["severity"] = severity(fields["severity"])
    _rule(name="Under test", set_queue=QueueFactory(name="Matched"), **conditions)

    ticket = TicketFactory(**fields)

    ticket.refresh_from_db()
    assert (ticket.queue.name == "Matched") is matches
    assert bool(_applied(ticket)) is matches
    # the admin's count (SQL) agrees with the evaluation (Python)
    assert Ticket.objects.filter(rule_q(Rule.objects.get()), pk=ticket.pk).exists() is matches


def test_actions_set_severity_route_and_add_watchers_and_say_so_in_the_timeline():
    sre = QueueFactory(name="SRE")
    lead = UserFactory(role=Role.AGENT, first_name="Lee", last_name="Lead")
    _rule(
        name="Production outages",
        kinds=["incident"],
        environments=["production"],
        set_severity=severity("SEV1"),
        set_queue=sre,
        add_watchers=[lead],
    )

    ticket = TicketFactory(environment="production")

    ticket.refresh_from_db()
    assert (ticket.severity.name, ticket.queue, ticket.watchers.filter(pk=lead.pk).exists()) == ("SEV1", sre, True)
    actions = ["Severity set to SEV1", "Routed to SRE", "Lee Lead added as a watcher"]
    assert _applied(ticket) == [{"rule": "Production outages", "actions": actions}]
    changed = TicketEvent.objects.get(ticket=ticket, kind="field_changed", data__field="severity")
    assert changed.actor is None
    assert ticket.response_due_at == ticket.created_at + severity("SEV1").response_target  # due times follow


def test_rules_run_in_order_and_a_stop_skips_the_rest():
    _rule(name="First", position=1, set_severity=severity("SEV2"), stop_after=True)
    _rule(name="Second", position=2, set_severity=severity("SEV5"))

    ticket = TicketFactory()

    assert [a["rule"] for a in _applied(ticket)] == ["First"]


def test_conditions_see_the_ticket_before_any_rule_acted():
    _rule(name="Raise", position=1, set_severity=severity("SEV1"))
    _rule(name="Only for SEV1", position=2, min_severity=severity("SEV1"), set_queue=QueueFactory(name="Major"))

    ticket = TicketFactory(severity=severity("SEV3"))

    assert [a["rule"] for a in _applied(ticket)] == ["Raise"]


def test_a_change_rule_runs_when_a_person_changes_the_ticket_and_a_created_rule_does_not():
    agent = UserFactory(role=Role.AGENT)
    queue = QueueFactory(members=[agent])
    _rule(name="On change", trigger="changed", tags=["payments"], set_queue=QueueFactory(name="Payments"))
    _rule(name="On create only", tags=["payments"], set_severity=severity("SEV1"))
    ticket = TicketFactory(queue=queue)

    ticket_services.ticket_update(ticket=ticket, actor=agent, tags=["payments"])

    ticket.refresh_from_db()
    assert ticket.queue.name == "Payments" and ticket.severity.name == "SEV3"


def test_a_rule_whose_action_it_already_took_says_nothing_more():
    _rule(name="Always SEV2", trigger="changed", set_severity=severity("SEV2"))
    ticket = TicketFactory()
    agent = UserFactory(role=Role.ADMIN)

    ticket_services.ticket_update(ticket=ticket, actor=agent, title="A new title")

    assert len(_applied(ticket)) == 1  # the creation; the title change found nothing to do


def test_disabled_rules_do_nothing():
    _rule(name="Off", enabled=False, set_severity=severity("SEV1"))
    assert not _applied(TicketFactory())


def test_rule_evaluation_reads_the_facts_in_four_queries_however_many_rules():
    ticket = TicketFactory()
    for n in range(5):
        _rule(name=f"Never {n}", text=f"no such text {n}", tags=[f"t{n}"], trigger="changed")
    rules_apply(ticket=ticket, trigger="created")  # warm the rule cache
    with CaptureQueriesContext(connection) as few:
        rules_apply(ticket=ticket, trigger="created")
    for n in range(5, 40):
        _rule(name=f"Never {n}", text=f"no such text {n}", tags=[f"t{n}"], min_severity=severity("SEV1"))
    rules_apply(ticket=ticket, trigger="created")
    with CaptureQueriesContext(connection) as many:
        rules_apply(ticket=ticket, trigger="created")
    assert len(few) == len(many) == 4  # the ticket, its tags, its finding group, its Health event


def test_trusted_advisor_and_health_sources_match_once_the_ticket_is_linked(fake_aws, prod_account):
    sec = QueueFactory(name="Security")
    _rule(name="Security findings", ta_categories=["security"], set_queue=sec, set_severity=severity("SEV1"))
    _rule(name="Idle instances", ta_checks=[LOW_UTILISATION.id], set_severity=severity("SEV5"))
    _rule(name="EC2 issues", health_services=["EC2"], health_categories=["issue"], set_queue=sec)
    fake_aws.flag(prod_account.account_id, OPEN_PORTS, open_port("sg-1"))
    fake_aws.flag(prod_account.account_id, LOW_UTILISATION, idle_instance("i-1"))
    fake_aws.publish(prod_account.account_id, health_event(1))

    findings_services.trusted_advisor_poll(account=prod_account)
    health_services.health_poll(account=prod_account)

    ports = Ticket.objects.get(tags__name="security")
    idle = Ticket.objects.get(tags__name="cost-optimizing")
    issue = Ticket.objects.get(kind="aws_health")
    assert (ports.queue, ports.severity.name) == (sec, "SEV1")
    assert (idle.queue, idle.severity.name) == (prod_account.owner_queue, "SEV5")
    assert issue.queue == sec
    assert [a["rule"] for a in _applied(ports)] == ["Security findings"]
    for rule in Rule.objects.all():  # the admin's count (SQL) agrees with the evaluation (Python)
        counted = set(Ticket.objects.filter(rule_q(rule)).values_list("pk", flat=True))
        assert counted == {t.pk for t in (ports, idle, issue) if rule.name in [a["rule"] for a in _applied(t)]}


def test_an_aws_case_action_is_queued_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(
        "integrations.tasks.support_case_open_automatically_task.delay", lambda *args: queued.append(args)
    )
    _rule(name="Prod down", environments=["production"], min_severity=severity("SEV1"), aws_case_severity="urgent")

    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory(environment="production", severity=severity("SEV1"))

    assert queued == [(ticket.pk, "urgent", "Rule “Prod down”")]
    assert _applied(ticket)[0]["actions"] == ["AWS Support case requested (up to production system down)"]


def test_the_admin_tests_a_rule_against_existing_tickets_without_saving(client):
    TicketFactory(environment="production", title="Database down")
    TicketFactory(environment="production", title="Printer")
    TicketFactory(environment="staging", title="Database slow")
    client.force_login(UserFactory(role=Role.ADMIN, is_superuser=True))

    response = client.post(
        "/admin/rules/rule/add/",
        {
            "name": "Prod databases",
            "position": "10",
            "enabled": "on",
            "trigger": "created",
            "environments": ["production"],
            "text": "database",
            "_test": "Test",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Would match 1 ticket (1 open). Not saved." in page
    assert 'value="Prod databases"' in page  # the form as typed
    assert not Rule.objects.exists()


def test_rules_are_for_admins_only(client):
    client.force_login(UserFactory(role=Role.MANAGER))
    assert client.get("/admin/rules/rule/").status_code in (302, 403)


def test_the_timeline_says_which_rule_did_what_to_the_team_but_not_to_the_requester(client):
    requester = UserFactory(role=Role.REQUESTER)
    manager = UserFactory(role=Role.MANAGER)
    _rule(name="Production outages", environments=["production"], set_severity=severity("SEV1"))
    ticket = TicketFactory(requester=requester, environment="production")

    client.force_login(manager)
    assert (
        "applied the rule <em>Production outages</em>: Severity set to SEV1"
        in client.get(f"/tickets/{ticket.reference}/").content.decode()
    )
    client.force_login(requester)
    assert "Production outages" not in client.get(f"/tickets/{ticket.reference}/").content.decode()


def test_a_rule_notifies_its_channels_once_per_ticket_and_starts_an_escalation_policy():
    from datetime import timedelta

    from escalation.models import EscalationPolicy, EscalationStep, TicketEscalation
    from notifications.models import Channel, Notification

    ops = Channel.objects.create(name="Ops mail", kind="email", email_addresses="ops@example.com")
    policy = EscalationPolicy.objects.create(name="Page the on-call")
    EscalationStep.objects.create(policy=policy, position=1, delay=timedelta(minutes=5), action="notify_assignee")
    rule = _rule(name="Sev1 production", trigger="changed", environments=["production"], start_escalation=policy)
    rule.notify_channels.set([ops])
    ticket = TicketFactory(environment="production")

    ticket_services.ticket_update(ticket=ticket, actor=UserFactory(role=Role.ADMIN), title="Still down")

    assert Notification.objects.filter(ticket=ticket, channel=ops).count() == 1  # told once, not on every change
    assert TicketEscalation.objects.get(ticket=ticket).policy == policy
    assert _applied(ticket)[0]["actions"] == ["Notified Ops mail", "Escalation policy “Page the on-call” started"]
    assert len(_applied(ticket)) == 1  # the change found nothing new to do


def test_a_change_rule_does_not_restart_a_chain_an_acknowledgement_stopped():
    from datetime import timedelta

    from escalation.models import EscalationPolicy, EscalationStep, TicketEscalation

    policy = EscalationPolicy.objects.create(name="Page")
    EscalationStep.objects.create(policy=policy, position=1, delay=timedelta(minutes=5), action="notify_assignee")
    _rule(name="Prod", trigger="changed", environments=["production"], start_escalation=policy)
    agent = UserFactory(role=Role.AGENT)
    ticket = TicketFactory(environment="production", queue=QueueFactory(members=[agent]))
    ticket_services.ticket_transition(ticket=ticket, actor=agent, action="acknowledge")

    ticket_services.ticket_update(ticket=ticket, actor=agent, title="Still down after the restart")

    assert TicketEscalation.objects.get(ticket=ticket).stopped_at is not None


def test_rule_tags_match_whatever_their_case():
    rule = Rule(name="Mixed", tags=[" Security ", "DB"])
    rule.full_clean()
    assert rule.tags == ["db", "security"]
