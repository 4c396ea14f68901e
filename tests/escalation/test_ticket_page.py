"""The ticket page tells where the clock stands: the time paused, since when while paused, and the next update due,
in the viewer's time zone, at the page's usual query count."""

import re
from datetime import timedelta

import pytest

from escalation.models import SlaPolicy
from supportdesk.jinja2 import span
from tickets import services as ticket_services
from tickets.workflow import Action

from ..factories import QueueFactory, TicketFactory, severity
from ..tickets.helpers import api_client

pytestmark = pytest.mark.django_db
minutes = lambda n: timedelta(minutes=n)  # noqa: E731


@pytest.fixture
def sev1(clock, agent, requester):
    SlaPolicy.objects.create(
        severity=severity("SEV1"),
        acknowledge_within=timedelta(hours=1),
        resolve_within=timedelta(hours=8),
        update_every=minutes(30),
    )
    queue = QueueFactory(members=[agent], default_assignee=agent)
    return TicketFactory(queue=queue, requester=requester, severity=severity("SEV1"))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def text(response) -> str:
    return text_of(response.content.decode())


def test_the_page_shows_the_time_paused_and_since_when_in_the_viewers_zone(client, sev1, clock, agent, requester):
    clock.shift(minutes(30))
    ticket_services.ticket_transition(ticket=sev1, actor=agent, action=Action.WAIT_ON_REQUESTER)
    clock.shift(timedelta(hours=3, minutes=20))
    ticket_services.comment_add(ticket=sev1, author=requester, body="Done, it works again?")
    clock.shift(minutes(5))
    ticket_services.ticket_transition(ticket=sev1, actor=agent, action=Action.WAIT_ON_REQUESTER)
    clock.shift(minutes(15))
    agent.time_zone = "Europe/Paris"  # the viewer's own zone, which the middleware makes active
    agent.save(update_fields=["time_zone"])
    client.force_login(agent)
    response = client.get(sev1.get_absolute_url())
    page = text(response)
    assert "SLA paused 3 h 20 min" in page
    assert "Paused since 02 Mar 14:55 CET (waiting on requester)" in page  # 13:55 UTC
    assert "Next update" not in page  # none is owed while the requester has the ball
    sev1.refresh_from_db()
    left = span(sev1.resolution_due_at - sev1.sla_paused_since)
    assert f"Resolve byPaused with {left} left" in page  # no countdown while the clock stands
    assert "resumed the SLA clocks after 3 h 20 min waiting on requester" in page  # the timeline
    assert 'class="sla-breach"' not in response.content.decode()


def test_the_page_shows_the_next_update_due_and_when_it_is_overdue(client, sev1, clock, agent):
    client.force_login(agent)
    clock.shift(minutes(18))
    page = client.get(sev1.get_absolute_url()).content.decode()
    assert "Next update due in 12 min (02 Mar 10:30 UTC)" in text_of(page)
    assert "update-overdue" not in page
    clock.shift(minutes(17))
    page = client.get(sev1.get_absolute_url()).content.decode()
    assert '<span class="update-overdue">Update overdue by 5 min</span>' in page  # in the warning colour
    ticket_services.comment_add(ticket=sev1, author=agent, body="Rolled back; watching the error rate.")
    assert "Next update due in 30 min" in text(client.get(sev1.get_absolute_url()))


def test_a_due_time_passing_while_paused_is_not_shown_as_breached(client, sev1, clock, agent):
    ticket_services.ticket_transition(ticket=sev1, actor=agent, action=Action.WAIT_ON_REQUESTER)
    clock.shift(timedelta(hours=9))  # past the eight hours to resolve, on the wall clock
    client.force_login(agent)
    page = client.get(sev1.get_absolute_url()).content.decode()
    assert 'class="sla-breach"' not in page
    assert "Overdue" not in page
    assert "Paused since" in page


@pytest.mark.parametrize("pauses", [1, 4])
def test_the_page_reads_the_clock_in_the_same_queries_however_often_it_paused(
    client, sev1, clock, agent, pauses, django_assert_max_num_queries
):
    for _ in range(pauses):
        ticket_services.ticket_transition(ticket=sev1, actor=agent, action=Action.WAIT_ON_REQUESTER)
        clock.shift(minutes(10))
        ticket_services.ticket_transition(ticket=sev1, actor=agent, action=Action.START)
    client.force_login(agent)
    client.get(TicketFactory(queue=sev1.queue).get_absolute_url())  # the person's access is cached, as in tests/tickets
    with django_assert_max_num_queries(5):  # ticket, watchers, tags, timeline, files
        page = text(client.get(sev1.get_absolute_url()))
    assert f"SLA paused {10 * pauses} min" in page
    assert "Next update due in 30 min" in page


def test_the_api_says_where_the_clock_stands(sev1, clock, agent):
    ticket_services.ticket_transition(ticket=sev1, actor=agent, action=Action.WAIT_ON_REQUESTER)
    clock.shift(minutes(20))
    ticket_services.ticket_transition(ticket=sev1, actor=agent, action=Action.START)
    clock.shift(minutes(5))
    ticket_services.ticket_transition(ticket=sev1, actor=agent, action=Action.WAIT_ON_REQUESTER)
    body = api_client(agent).get(f"/api/tickets/{sev1.reference}/").json()
    assert (body["sla_paused_for"], body["next_update_due_at"]) == ("00:20:00", None)
    assert body["sla_paused_since"].startswith("2026-03-02T10:25:00")
