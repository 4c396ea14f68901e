"""Who may do what to a ticket. Views, the API and services ask here, so they cannot disagree.

`None` as the actor is the system itself (AWS ingestion, timers): it may do anything.
"""

from dataclasses import dataclass
from functools import reduce
from operator import or_
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


# The one access rule, as data: a person sees a ticket when one of these holds of it (or when they see everything).
# Each ground names what of the ticket is compared, and with what of the person: PERSON is their id, QUEUES the
# queues they work (agents). Sight.q (SQL) and Sight.sees (Python) both read this table and nothing else.
PERSON, QUEUES = "person", "queues"
GROUNDS = (
    ("requester_id", PERSON),  # they filed it
    ("assignee_id", PERSON),  # they hold it
    ("watchers", PERSON),  # they watch it
    ("queue_id", QUEUES),  # it is in one of their queues
)


@dataclass(frozen=True)
class Sight:
    """Which tickets a person sees: GROUNDS, for this person.

    Read two ways: as SQL for every query (selectors.tickets_visible_to), and in Python for the one ticket a page or
    endpoint reads by its key, whose watchers it reads anyway. Compiling the SQL rule into that query would cost
    about a millisecond of CPU per ticket page (a fifth of it, measured): the Python reading is the speed-up. A test
    holds both readings to a table of cases.
    """

    everything: bool
    user_id: int
    queue_ids: frozenset[int]

    def _values(self, of: str) -> frozenset[int]:
        return frozenset((self.user_id,)) if of == PERSON else self.queue_ids

    def q(self) -> Q:
        if self.everything:
            return Q()
        # Q | Exists is a Q at run time; the stubs say Combinable
        return cast(Q, reduce(or_, (self._condition(field, of) for field, of in GROUNDS if self._values(of))))

    def _condition(self, field: str, of: str) -> Q | Exists:
        if field == "watchers":  # Exists, not a join: no duplicate rows, no DISTINCT over a million tickets
            return Exists(Watch.objects.filter(ticket=OuterRef("pk"), user_id=self.user_id))
        if of == PERSON:
            return Q(**{field: self.user_id})
        return Q(**{f"{field}__in": sorted(self._values(of))})

    def sees(self, ticket: Ticket, watcher_ids: set[int]) -> bool:
        if self.everything:
            return True
        for field, of in GROUNDS:
            held = watcher_ids if field == "watchers" else {getattr(ticket, field)}
            if not held.isdisjoint(self._values(of)):
                return True
        return False


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


def works_tickets(user) -> bool:
    """The people who answer tickets (agents, managers, admins): bulk changes, saved views shared with a queue,
    canned replies."""
    return user.has_perm("tickets.work_ticket") or user.has_perm("tickets.view_all_tickets")


def may_keep_team_replies(user) -> bool:
    """The team's canned replies (no owner) are kept by admins and managers."""
    return user.has_perm("tickets.change_cannedreply")
