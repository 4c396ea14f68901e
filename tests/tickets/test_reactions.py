"""What a ticket change sets off: one ordered list, dispatched once per service call."""

import pytest
from django.test import override_settings

from tickets import reactions, services
from tickets.reactions import Changes, dispatch

from ..factories import TicketFactory

pytestmark = pytest.mark.django_db
HERE = "tests.tickets.test_reactions"
heard: list[tuple[str, Changes]] = []


def first(changes: Changes) -> Changes:
    heard.append(("first", changes))
    own = Changes()
    own.events.append(changes.events[0])  # stands for a change of its own
    return own


def second(changes: Changes) -> None:
    heard.append(("second", changes))


def later(changes: Changes) -> None:
    heard.append(("later", changes))


@pytest.fixture
def listed():
    """Only this module's reactions, in order; resolved afresh for the test and again after it."""
    heard.clear()
    listing = [
        (f"{HERE}.first", "in transaction"),
        (f"{HERE}.second", "in transaction"),
        (f"{HERE}.later", "on commit"),
    ]
    reactions.reactions.cache_clear()
    with override_settings(TICKET_REACTIONS=listing):
        yield heard
    reactions.reactions.cache_clear()


def test_the_reactions_are_listed_in_order_and_resolve():
    paths = [path for path, _, _ in reactions.reactions()]
    assert paths == [
        "rules.reactions.rules_react",
        "escalation.reactions.sla_react",
        "paging.reactions.pages_react",
        "notifications.reactions.notices_react",
        "notifications.reactions.cards_react",
        "readiness.reactions.reviews_react",
        "integrations.security.reactions.write_back_react",
    ]


def test_a_service_hands_its_changes_to_the_reactions_once(listed, agent, django_capture_on_commit_callbacks):
    ticket = TicketFactory(queue__members=[agent])
    listed.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(ticket=ticket, actor=agent, title="Checkout is slow", description="Since 14:02.")

    assert [name for name, _ in listed] == ["first", "second", "later"]
    changes = listed[0][1]
    assert [e.data["field"] for e in changes.events] == ["title", "description"]
    assert [set(s.fields) for s in changes.saves] == [{"title", "description", "updated_at"}]


def test_a_reactions_own_changes_go_to_the_later_reactions_only(listed, agent):
    ticket = TicketFactory(queue__members=[agent])
    listed.clear()

    services.ticket_update(ticket=ticket, actor=agent, title="Checkout is slow")

    (_, to_first), (_, to_second) = listed
    assert len(to_first.events) == 1  # the first never hears of its own change
    assert len(to_second.events) == 2  # the second hears of the change and of the first's


def test_an_on_commit_reaction_waits_for_the_commit(listed, agent, django_capture_on_commit_callbacks):
    ticket = TicketFactory(queue__members=[agent])
    listed.clear()

    with django_capture_on_commit_callbacks() as waiting:
        services.ticket_update(ticket=ticket, actor=agent, title="Checkout is slow")
        assert [name for name, _ in listed] == ["first", "second"]
    assert len(waiting) == 1


def test_a_service_given_a_record_leaves_the_dispatch_to_its_caller(listed, agent):
    ticket = TicketFactory(queue__members=[agent])
    listed.clear()
    record = Changes()

    services.ticket_update(ticket=ticket, actor=agent, title="Checkout is slow", record=record)
    services.comment_add(ticket=ticket, author=agent, body="Looking.", record=record)

    assert listed == []
    assert [e.kind for e in record.events] == ["field_changed", "commented"]
    dispatch(record)
    assert [name for name, _ in listed] == ["first", "second"]


def test_nothing_changed_sets_nothing_off(listed, agent):
    ticket = TicketFactory(queue__members=[agent])
    listed.clear()

    services.ticket_update(ticket=ticket, actor=agent, title=ticket.title)

    assert listed == []


def test_events_point_at_their_ticket_as_the_last_change_left_it(agent):
    ticket = TicketFactory(queue__members=[agent])
    record = Changes()
    services.ticket_update(ticket=ticket, actor=agent, title="First", record=record)
    later_copy = services.ticket_update(ticket=ticket, actor=agent, title="Second", record=Changes())
    more = Changes()
    more.save(later_copy, update_fields=["updated_at"])

    both = record.merged(more)

    assert {e.ticket.title for e in both.events} == {"Second"}
