import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets import services
from tickets.exceptions import IllegalTransition, InvalidAttachment, NotAllowed
from tickets.models import Ticket, TicketEvent
from tickets.workflow import Action

from ..factories import TicketFactory, UserFactory, severity

pytestmark = pytest.mark.django_db
S = Ticket.Status


def test_create_sets_due_times_from_severity_and_records_the_event(requester, queue):
    ticket = TicketFactory(requester=requester, queue=queue, severity=severity("SEV1"))
    assert ticket.response_due_at - ticket.created_at == severity("SEV1").response_target
    assert ticket.resolution_due_at - ticket.created_at == severity("SEV1").resolution_target
    assert list(ticket.events.values_list("kind", flat=True)) == [TicketEvent.Kind.CREATED]
    assert requester in ticket.watchers.all()


def test_create_without_queue_lands_in_the_default_queue(requester):
    ticket = services.ticket_create(requester=requester, title="Need a monitor", severity=severity("SEV4"))
    assert ticket.queue.is_default


def test_acknowledge_takes_ownership_and_stops_the_response_clock(queue, agent):
    ticket = TicketFactory(queue=queue)
    ticket = services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)
    assert ticket.status == S.ACKNOWLEDGED
    assert ticket.acknowledged_at is not None
    assert ticket.assignee == agent
    kinds = list(ticket.events.order_by("id").values_list("kind", flat=True))
    assert kinds == ["created", "status_changed", "assigned"]


def test_illegal_transition_is_refused_with_a_reason(queue, agent):
    ticket = TicketFactory(queue=queue)
    with pytest.raises(IllegalTransition, match="“Reopen” does not apply to a ticket that is new"):
        services.ticket_transition(ticket=ticket, actor=agent, action=Action.REOPEN, note="why")
    ticket.refresh_from_db()
    assert ticket.status == S.NEW


def test_resolve_needs_a_note(queue, agent):
    ticket = TicketFactory(queue=queue)
    with pytest.raises(IllegalTransition, match="needs a note"):
        services.ticket_transition(ticket=ticket, actor=agent, action=Action.RESOLVE)


def test_full_lifecycle_with_reopen(queue, agent, requester):
    ticket = TicketFactory(queue=queue, requester=requester)
    for action, note in [(Action.ACKNOWLEDGE, ""), (Action.START, ""), (Action.RESOLVE, "Rebooted")]:
        ticket = services.ticket_transition(ticket=ticket, actor=agent, action=action, note=note)
    assert ticket.resolved_at is not None
    ticket = services.ticket_transition(ticket=ticket, actor=requester, action=Action.REOPEN, note="Still broken")
    assert (ticket.status, ticket.resolved_at) == (S.IN_PROGRESS, None)
    ticket = services.ticket_transition(ticket=ticket, actor=agent, action=Action.RESOLVE, note="Replaced disk")
    ticket = services.ticket_transition(ticket=ticket, actor=requester, action=Action.CLOSE)
    assert ticket.status == S.CLOSED and ticket.closed_at is not None


def test_requester_may_not_acknowledge_or_resolve(queue, requester):
    ticket = TicketFactory(queue=queue, requester=requester)
    with pytest.raises(NotAllowed):
        services.ticket_transition(ticket=ticket, actor=requester, action=Action.ACKNOWLEDGE)
    with pytest.raises(NotAllowed):
        services.ticket_transition(ticket=ticket, actor=requester, action=Action.RESOLVE, note="done")


def test_agent_of_another_queue_may_not_work_the_ticket(other_queue, agent):
    ticket = TicketFactory(queue=other_queue)
    with pytest.raises(NotAllowed):
        services.ticket_transition(ticket=ticket, actor=agent, action=Action.ACKNOWLEDGE)


def test_update_records_before_and_after(queue, agent):
    ticket = TicketFactory(queue=queue, severity=severity("SEV3"))
    ticket = services.ticket_update(ticket=ticket, actor=agent, severity=severity("SEV1"), tags=["db", "Prod "])
    changes = {e.data["field"]: e.data for e in ticket.events.filter(kind="field_changed")}
    assert changes["severity"]["before"].startswith("SEV3") and changes["severity"]["after"].startswith("SEV1")
    assert changes["tags"]["after"] == "db, prod"
    assert ticket.resolution_due_at - ticket.created_at == severity("SEV1").resolution_target


def test_update_with_no_change_writes_nothing(queue, agent):
    ticket = TicketFactory(queue=queue)
    before = ticket.events.count()
    services.ticket_update(ticket=ticket, actor=agent, title=ticket.title, severity=ticket.severity)
    assert ticket.events.count() == before


def test_requester_may_edit_text_but_not_severity(queue, requester):
    ticket = TicketFactory(queue=queue, requester=requester)
    services.ticket_update(ticket=ticket, actor=requester, title="Clearer title")
    with pytest.raises(NotAllowed):
        services.ticket_update(ticket=ticket, actor=requester, severity=severity("SEV1"))


def test_requester_reply_brings_waiting_ticket_back(queue, agent, requester):
    ticket = TicketFactory(queue=queue, requester=requester)
    services.ticket_transition(ticket=ticket, actor=agent, action=Action.WAIT_ON_REQUESTER)
    services.comment_add(ticket=ticket, author=requester, body="Here is the log.")
    ticket.refresh_from_db()
    assert ticket.status == S.IN_PROGRESS


def test_requester_may_not_add_internal_notes(queue, requester):
    ticket = TicketFactory(queue=queue, requester=requester)
    with pytest.raises(NotAllowed):
        services.comment_add(ticket=ticket, author=requester, body="psst", is_internal=True)


def test_escalate_to_a_colleague_in_another_queue(queue, agent, other_queue):
    colleague = UserFactory(role="agent")
    other_queue.members.add(colleague)
    ticket = TicketFactory(queue=queue)
    ticket = services.ticket_escalate(
        ticket=ticket, actor=agent, reason="Needs DBA", queue=other_queue, assignee=colleague
    )
    assert (ticket.escalation_level, ticket.queue, ticket.assignee) == (1, other_queue, colleague)
    event = ticket.events.get(kind="escalated")
    assert event.data["reason"] == "Needs DBA"


def test_escalate_refuses_closed_ticket(queue, agent):
    ticket = TicketFactory(queue=queue)
    services.ticket_transition(ticket=ticket, actor=agent, action=Action.CLOSE)
    with pytest.raises(IllegalTransition, match="reopen it first"):
        services.ticket_escalate(ticket=ticket, actor=agent, reason="x")


def test_attachment_type_and_size_limits(queue, requester, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    bad_type = SimpleUploadedFile("evil.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(InvalidAttachment, match="not accepted"):
        TicketFactory(queue=queue, requester=requester, attachments=[bad_type])
    too_big = SimpleUploadedFile("log.txt", b"x" * 11, content_type="text/plain")
    with pytest.raises(InvalidAttachment, match="larger than"):
        TicketFactory(queue=queue, requester=requester, attachments=[too_big])
    assert not Ticket.objects.exists()  # nothing half-made


def test_timeline_events_are_append_only(queue):
    event = TicketFactory(queue=queue).events.get()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        TicketEvent.objects.update(kind="x")


def test_auto_close_closes_only_old_resolved_tickets(queue, agent, settings):
    from datetime import timedelta

    from django.utils import timezone

    old, recent = TicketFactory(queue=queue), TicketFactory(queue=queue)
    past = timezone.now() - timedelta(days=settings.TICKET_AUTO_CLOSE_AFTER_DAYS + 1)
    services.ticket_transition(ticket=old, actor=agent, action=Action.RESOLVE, note="ok", now=past)
    services.ticket_transition(ticket=recent, actor=agent, action=Action.RESOLVE, note="ok")
    assert services.tickets_auto_close() == 1
    assert services.tickets_auto_close() == 0  # a re-run changes nothing
    old.refresh_from_db(), recent.refresh_from_db()
    assert (old.status, recent.status) == (S.CLOSED, S.RESOLVED)


def test_queue_default_assignee_gets_and_follows_new_tickets(requester, agent, queue):
    queue.default_assignee = agent
    queue.save()
    ticket = TicketFactory(requester=requester, queue=queue)
    assert ticket.assignee == agent
    assert set(ticket.watchers.all()) == {requester, agent}
