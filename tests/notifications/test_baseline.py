"""What people hear without configuring anything: the notifications reaction to every ticket change."""

import pytest

from accounts.roles import Role
from notifications.models import Channel, Notification
from notifications.reactions import notices_react
from rules.services import rules_enabled
from tickets import services, timeline
from tickets.models import TicketEvent
from tickets.reactions import Changes, dispatch

from ..factories import QueueFactory, TicketFactory, UserFactory
from .conftest import hears

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(queue) -> Channel:
    return hears(Channel.objects.create(name="Ops", kind=Channel.Kind.EMAIL, email_addresses="ops@example.com"), queue)


def recorded(*events: TicketEvent) -> Changes:
    """Events made without a service, as a service would record them."""
    changes = Changes()
    changes.events += events
    return changes


def told(event: str) -> set[str]:
    """Who heard about events of this kind: channel names and people's addresses."""
    rows = Notification.objects.filter(event=event).select_related("channel")
    return {row.channel.name if row.channel else row.email for row in rows}


def test_a_new_ticket_tells_the_queue_channels_and_its_default_assignee(ops, agent, requester):
    queue = QueueFactory(members=[agent], default_assignee=agent)
    hears(ops, queue)
    ticket = TicketFactory(queue=queue, requester=requester, description="Since 09:00, every payment fails.")
    assert told("created") == {"Ops", agent.email}
    row = Notification.objects.get(event="created", channel=ops)
    assert row.subject == f"[{ticket.reference} SEV3] New ticket: {ticket.title}"
    assert row.body.endswith("Since 09:00, every payment fails.")
    assert row.key == f"event:{ticket.events.get(kind='created').pk}:channel:{ops.pk}"


def test_assignment_tells_the_new_assignee_unless_they_took_it_themselves(ticket, agent, queue):
    colleague = UserFactory(role=Role.AGENT)
    queue.members.add(colleague)
    services.ticket_assign(ticket=ticket, actor=agent, assignee=colleague)
    assert told("assigned") == {colleague.email}
    assert Notification.objects.get(event="assigned").reason == f"Assigned to you by {agent.display_name}"

    Notification.objects.all().delete()
    services.ticket_assign(ticket=ticket, actor=agent, assignee=agent)
    assert told("assigned") == set()


def test_a_public_comment_tells_requester_and_watchers_but_not_its_author(ticket, agent, requester):
    watcher, unwatched = UserFactory(), UserFactory()
    services.watcher_set(ticket=ticket, actor=watcher, user=watcher, watching=True)
    services.watcher_set(ticket=ticket, actor=requester, user=requester, watching=False)  # still the requester
    services.comment_add(ticket=ticket, author=agent, body="We are rolling back the deploy.")
    assert told("commented") == {requester.email, watcher.email}
    assert unwatched.email not in told("commented")
    assert Notification.objects.filter(event="commented").first().body.endswith("We are rolling back the deploy.")


def test_an_internal_note_tells_nobody(ticket, agent):
    services.comment_add(ticket=ticket, author=agent, body="Customer is on the legacy plan.", is_internal=True)
    assert not Notification.objects.filter(event="commented").exists()


@pytest.mark.parametrize(
    ("actions", "heard"),
    [(["resolve"], True), (["wait_on_requester"], True), (["acknowledge"], False), (["start"], False)],
)
def test_followers_hear_when_a_ticket_is_resolved_or_waits_on_them(ticket, agent, requester, actions, heard):
    for action in actions:
        services.ticket_transition(ticket=ticket, actor=agent, action=action, note="Rolled back.")
    assert told("status_changed") == ({requester.email} if heard else set())


def test_escalations_sla_breaches_and_aws_cases_tell_the_queue_channels(ticket, ops, agent):
    services.ticket_escalate(ticket=ticket, actor=agent, reason="Payments are failing")
    dispatch(
        recorded(
            timeline.sla_breached(ticket=ticket, target="response", due_at="2025-01-06 09:15 UTC"),
            timeline.aws_case(
                ticket=ticket, actor=None, summary="opened at urgent", case_id="case-1", lines=["AWS: on it"]
            ),
        )
    )
    assert told("escalated") == told("sla_breached") == told("aws_case") == {"Ops"}
    reasons = dict(Notification.objects.filter(channel=ops).values_list("event", "reason"))
    assert reasons["escalated"] == "Escalated (level 1)"
    assert reasons["sla_breached"] == "SLA breached: response was due 2025-01-06 09:15 UTC"
    assert reasons["aws_case"] == "AWS Support case case-1: opened at urgent"


def test_other_changes_tell_nobody(ticket, agent):
    before = Notification.objects.count()
    services.ticket_update(ticket=ticket, actor=agent, title="Checkout is slow")
    dispatch(
        recorded(
            timeline.notified(ticket=ticket, channel="Ops", outcome="sent"),  # a delivery attempt never causes another
            timeline.rule_applied(ticket=ticket, rule="prod", actions=["set severity"]),
        )
    )
    assert Notification.objects.count() == before


@pytest.mark.parametrize("audience", [2, 20])
def test_the_reaction_costs_the_same_few_queries_whatever_the_audience(
    ticket, queue, agent, audience, django_assert_max_num_queries
):
    # given: a busy ticket and queue; events saved without the services, so that only the reaction is counted
    for user in UserFactory.create_batch(audience):
        services.watcher_set(ticket=ticket, actor=user, user=user, watching=True)
    for n in range(audience):
        hears(Channel.objects.create(name=f"Ops {n}", kind=Channel.Kind.EMAIL, email_addresses="o@example.com"), queue)
    comment = ticket.comments.create(author=agent, body="Update")
    rules_enabled()  # cached, as every ticket change leaves them: no quiet rule holds notices, so no hold lookup
    # when / then: the event's INSERT; one SELECT for the audience; one INSERT for all its rows
    with django_assert_max_num_queries(3):
        notices_react(
            recorded(TicketEvent.objects.create(ticket=ticket, actor=agent, kind="commented", comment=comment))
        )
    with django_assert_max_num_queries(3):
        notices_react(
            recorded(
                TicketEvent.objects.create(ticket=ticket, actor=agent, kind="escalated", data={"level": 1, "to": ""})
            )
        )
    assert Notification.objects.filter(event="commented").count() == audience + 1  # and the requester
    assert Notification.objects.filter(event="escalated").count() == audience
