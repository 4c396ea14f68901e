"""Who may do what to a ticket. Views, the API and services ask here, so they cannot disagree.

`None` as the actor is the system itself (AWS ingestion, timers): it may do anything.
"""

from dataclasses import dataclass
from typing import cast

from django.db.models import Exists, OuterRef, Q

from accounts.access_cache import access_cached

from .models import QueueMember, Ticket, Watch
from .workflow import TRANSITIONS, Action, transition_for


def queue_ids_of(user) -> frozenset[int]:
    """The queues a person works; read once per request and kept on the user object."""
    if not hasattr(user, "_support_queue_ids"):
        user._support_queue_ids = access_cached(
            user, "queues", lambda: frozenset(QueueMember.objects.filter(user=user).values_list("queue_id", flat=True))
        )
    return user._support_queue_ids


@dataclass(frozen=True)
class Sight:
    """Which tickets a person sees: those they filed, hold or watch, their queues' (agents), or all.

    The one access rule, read two ways side by side: as SQL for lists, and in Python for a ticket
    already in hand (its page reads its watchers anyway). Tests hold the two to the same answers.
    """

    everything: bool
    user_id: int
    queue_ids: frozenset[int]

    def q(self) -> Q:
        if self.everything:
            return Q()
        rule = cast(  # Q | Exists is a Q; the stubs say Combinable
            Q,
            Q(requester_id=self.user_id)
            | Q(assignee_id=self.user_id)
            # Exists, not a join: no duplicate rows, no DISTINCT over a million tickets
            | Exists(Watch.objects.filter(ticket=OuterRef("pk"), user_id=self.user_id)),
        )
        if self.queue_ids:
            rule |= Q(queue_id__in=sorted(self.queue_ids))
        return rule

    def sees(self, ticket: Ticket, watcher_ids: set[int]) -> bool:
        return (
            self.everything
            or self.user_id in (ticket.requester_id, ticket.assignee_id)
            or self.user_id in watcher_ids
            or ticket.queue_id in self.queue_ids
        )


def sight_of(user) -> Sight:
    everything = user.is_superuser or user.has_perm("tickets.view_all_tickets")
    queues = queue_ids_of(user) if not everything and user.has_perm("tickets.work_ticket") else frozenset()
    return Sight(everything=everything, user_id=user.pk, queue_ids=queues)


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


def may_set_aws_account(user) -> bool:
    """The AWS account drives actions outside the portal (rules, AWS Support cases): staff who see the accounts set
    it, or ingestion; a requester may not name one."""
    return user is None or user.has_perm("integrations.view_awsaccount")


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
