"""Who may do what to a ticket. Views, the API and services ask here, so they cannot disagree.

`None` as the actor is the system itself (AWS ingestion, timers): it may do anything.
"""

from accounts.access_cache import access_cached

from .models import QueueMember, Ticket
from .workflow import TRANSITIONS, Action, transition_for


def queue_ids_of(user) -> frozenset[int]:
    """The queues a person works; read once per request and kept on the user object."""
    if not hasattr(user, "_support_queue_ids"):
        user._support_queue_ids = access_cached(
            user, "queues", lambda: frozenset(QueueMember.objects.filter(user=user).values_list("queue_id", flat=True))
        )
    return user._support_queue_ids


def may_work(user, ticket: Ticket) -> bool:
    """Acknowledge, assign, change, escalate, add internal notes: agents in the ticket's queue, admins."""
    if user is None:
        return True
    if not user.has_perm("tickets.work_ticket"):
        return False
    return (
        user.is_superuser
        or ticket.queue_id in queue_ids_of(user)
        or ticket.assignee_id == user.pk
        or user.has_perm("tickets.view_all_tickets")
    )


def may_read_internal(user) -> bool:
    return user is None or user.has_perm("tickets.view_internal_notes")


def may_edit_text(user, ticket: Ticket) -> bool:
    """The requester may correct the title and description of their own open ticket."""
    return may_work(user, ticket) or (ticket.requester_id == user.pk and ticket.is_open)


def may_transition(user, ticket: Ticket, action: str) -> bool:
    transition = transition_for(action, ticket.status)
    if transition is None:
        return False
    return may_work(user, ticket) or (transition.requester_may and ticket.requester_id == user.pk)


def allowed_actions(user, ticket: Ticket) -> list[Action]:
    return [Action(action) for action in TRANSITIONS if may_transition(user, ticket, action)]
