"""The status workflow: which action moves a ticket from which statuses to which."""

from dataclasses import dataclass

from django.db import models

from .models import Ticket

S = Ticket.Status


class Action(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    START = "start", "Start work"
    WAIT_ON_REQUESTER = "wait_on_requester", "Wait on requester"
    WAIT_ON_AWS = "wait_on_aws", "Wait on AWS"
    RESOLVE = "resolve", "Resolve"
    CLOSE = "close", "Close"
    REOPEN = "reopen", "Reopen"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    requester_may: bool = False  # the requester of the ticket may do it too, not only agents


_WORKING = frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.WAITING_REQUESTER, S.WAITING_AWS})

TRANSITIONS: dict[str, Transition] = {
    Action.ACKNOWLEDGE: Transition(frozenset({S.NEW}), S.ACKNOWLEDGED),
    Action.START: Transition(frozenset({S.NEW, S.ACKNOWLEDGED, S.WAITING_REQUESTER, S.WAITING_AWS}), S.IN_PROGRESS),
    Action.WAIT_ON_REQUESTER: Transition(frozenset({S.NEW}) | _WORKING - {S.WAITING_REQUESTER}, S.WAITING_REQUESTER),
    Action.WAIT_ON_AWS: Transition(frozenset({S.NEW}) | _WORKING - {S.WAITING_AWS}, S.WAITING_AWS),
    Action.RESOLVE: Transition(frozenset({S.NEW}) | _WORKING, S.RESOLVED),
    Action.CLOSE: Transition(frozenset({S.NEW, S.RESOLVED}), S.CLOSED, requester_may=True),
    Action.REOPEN: Transition(frozenset({S.RESOLVED, S.CLOSED}), S.IN_PROGRESS, requester_may=True),
}

# Actions that need a sentence from the person: why it is resolved, why it comes back.
NOTE_REQUIRED = frozenset({Action.RESOLVE, Action.REOPEN})


def transition_for(action: str, status: str) -> Transition | None:
    transition = TRANSITIONS.get(action)
    if transition is None or status not in transition.sources:
        return None
    return transition
