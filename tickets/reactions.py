"""What a ticket change sets off, in one place.

A service records what it did to tickets in a `Changes` (tickets filed, columns saved, timeline events, in order)
and hands it, once, to `dispatch` at its end, inside its transaction. `dispatch` runs `settings.TICKET_REACTIONS`
in their order (rules, then escalation and SLA, then notifications, then readiness): each entry is a dotted path
to a plain function ``react(changes) -> Changes | None`` and says when it runs, "in transaction" (it commits or
rolls back with the change) or "on commit" (after the change committed; never for a rolled-back one).

A reaction that changes tickets itself (the rules do) passes its own `Changes` to the ticket services, which then
record into it instead of dispatching, and returns it: those changes go to the reactions AFTER it in the list,
never back to it or to those before. That is what keeps a rule's change from running the rules again.

A service called by another passes the caller's `Changes` on (``record=``): the caller dispatches them all once.
AWS ingestion does so to link new tickets to their findings and events before the reactions see them.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.module_loading import import_string

from .models import Ticket, TicketEvent

IN_TRANSACTION = "in transaction"
ON_COMMIT = "on commit"


@dataclass(frozen=True)
class Saved:
    """One save of a ticket: the columns it wrote."""

    ticket: Ticket
    fields: frozenset[str]


class Changes:
    """What one service call did to tickets, in the order it did it."""

    def __init__(self) -> None:
        self.filed: list[Ticket] = []  # new tickets, their rows, tags and watchers written
        self.saves: list[Saved] = []
        self.events: list[TicketEvent] = []
        self._as_left: dict[int, Ticket] = {}  # each ticket as its last filing or save left it

    def __bool__(self) -> bool:
        return bool(self.filed or self.saves or self.events)

    def __repr__(self) -> str:
        return f"<Changes filed={len(self.filed)} saves={len(self.saves)} events={[e.kind for e in self.events]}>"

    def file(self, tickets: Iterable[Ticket]) -> None:
        for ticket in tickets:
            self.filed.append(ticket)
            self._as_left[ticket.pk] = ticket

    def save(self, ticket: Ticket, *, update_fields: Iterable[str]) -> None:
        """Save the ticket's columns and record that they changed."""
        fields = list(dict.fromkeys(update_fields))
        ticket.save(update_fields=fields)
        self.saves.append(Saved(ticket, frozenset(fields)))
        self._as_left[ticket.pk] = ticket

    def event(self, event: TicketEvent) -> TicketEvent:
        self.events.append(event)
        return event

    def as_left(self, ticket_id: int) -> Ticket | None:
        """The ticket as these changes left it (the instance of its last save), None if none saved or filed it."""
        return self._as_left.get(ticket_id)

    def merged(self, more: "Changes") -> "Changes":
        """These changes and then ``more``; events point at their ticket as the last of them left it."""
        both = Changes()
        for changes in (self, more):
            both.file(changes.filed)
            both.saves += changes.saves
            both.events += changes.events
            both._as_left.update(changes._as_left)
        for event in both.events:
            if (ticket := both._as_left.get(event.ticket_id)) is not None and event.ticket is not ticket:
                event.ticket = ticket
        return both


Reaction = Callable[[Changes], Changes | None]


@cache
def reactions() -> tuple[tuple[str, Reaction, str], ...]:
    """settings.TICKET_REACTIONS resolved once, as Django resolves MIDDLEWARE: (path, function, when)."""
    resolved = []
    for path, when in settings.TICKET_REACTIONS:
        if when not in (IN_TRANSACTION, ON_COMMIT):
            raise ImproperlyConfigured(f"TICKET_REACTIONS: {path} runs {when!r}: {IN_TRANSACTION!r} or {ON_COMMIT!r}?")
        resolved.append((path, import_string(path), when))
    return tuple(resolved)


def dispatch(changes: Changes, *, after: str | None = None) -> None:
    """Run the reactions on what one service call did; inside that call's transaction. ``after``: only the
    reactions after that one (a reaction's own work, when it was called on its own rather than by dispatch)."""
    if not changes:
        return
    listed = reactions()
    if after is not None:
        paths = [path for path, _, _ in listed]
        if after not in paths:
            raise ImproperlyConfigured(f"{after} is not in TICKET_REACTIONS")
        listed = listed[paths.index(after) + 1 :]
    for _, react, when in listed:
        if when == ON_COMMIT:
            # robust: a failing reaction must not undo the committed change. A lambda, not a partial: Django logs a
            # failed robust callback by its __qualname__. What it changes is a change of its own, dispatched anew.
            transaction.on_commit(lambda react=react, changes=changes: react(changes), robust=True)  # type: ignore[misc]  # mypy cannot infer a lambda with defaults
            continue
        more = react(changes)
        if more:  # to the reactions after this one only
            changes = changes.merged(more)


@contextmanager
def recording(record: Changes | None) -> Iterator[Changes]:
    """The caller's record when it gave one (the caller dispatches), else a new one, dispatched at the end of the
    block when it ends without an error."""
    if record is not None:
        yield record
        return
    own = Changes()
    yield own
    dispatch(own)
