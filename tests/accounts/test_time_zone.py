"""Times speak the viewer's zone, and name it: their setting, else their browser's (a cookie), else the site's."""

from datetime import UTC, datetime

import pytest
import time_machine

from tickets.models import Ticket

from ..factories import TicketFactory

pytestmark = pytest.mark.django_db

# A moment in winter: Paris is UTC+1 (CET), New York UTC-5 (EST)
FILED = datetime(2026, 1, 15, 13, 5, tzinfo=UTC)


@pytest.fixture
def ticket(queue):
    with time_machine.travel(FILED, tick=False):
        return TicketFactory(queue=queue)


def filed_line(client, ticket: Ticket) -> str:
    page = client.get(ticket.get_absolute_url()).content.decode()
    return page[page.index("filed by") :][:400]


def test_a_person_sees_times_in_their_own_zone_named(client, agent, ticket):
    agent.time_zone = "Europe/Paris"
    agent.save()
    client.force_login(agent)
    client.cookies["tz"] = "America/New_York"  # their own setting wins over the browser's
    line = filed_line(client, ticket)
    assert "15 Jan 2026 14:05 CET" in line
    assert "Europe/Paris" in line  # the title names the zone in full


def test_without_a_setting_the_browsers_zone_is_used(client, agent, ticket):
    client.force_login(agent)
    client.cookies["tz"] = "America/New_York"
    assert "15 Jan 2026 08:05 EST" in filed_line(client, ticket)


@pytest.mark.parametrize("cookie", ["Mars/Olympus", "../../etc/passwd", "", "x" * 300])
def test_a_cookie_naming_no_zone_falls_back_to_the_sites(client, agent, ticket, settings, cookie):
    client.force_login(agent)
    client.cookies["tz"] = cookie
    assert "15 Jan 2026 13:05 UTC" in filed_line(client, ticket)


def test_the_list_and_the_timeline_use_the_zone(client, agent, ticket):
    client.force_login(agent)
    client.cookies["tz"] = "Asia/Tokyo"
    listing = client.get("/tickets/").content.decode()
    assert "15 Jan 22:05 JST" in listing
    page = client.get(ticket.get_absolute_url()).content.decode()
    timeline = page[page.index('id="ticket-story"') :]
    assert "15 Jan 22:05 JST" in timeline
    # the timeline is cached per zone: a reader elsewhere gets their own times, not the first reader's
    client.cookies["tz"] = "Europe/Paris"
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "15 Jan 14:05 CET" in page[page.index('id="ticket-story"') :]


def test_the_profile_saves_a_zone_from_the_list(client, agent):
    client.force_login(agent)
    page = client.get("/profile/").content.decode()
    assert '<option value="Europe/Paris">' in page
    assert 'list="zone-names"' in page
    response = client.post("/profile/time-zone/", {"time_zone": "Europe/Paris"}, follow=True)
    assert "Times now show in Europe/Paris." in response.content.decode()
    agent.refresh_from_db()
    assert agent.time_zone == "Europe/Paris"
    assert "Pages show times in <strong>Europe/Paris</strong>" in response.content.decode()


def test_the_profile_refuses_a_name_that_is_no_zone(client, agent):
    agent.time_zone = "Europe/Paris"
    agent.save()
    client.force_login(agent)
    response = client.post("/profile/time-zone/", {"time_zone": "Europe/Atlantis"})
    assert response.status_code == 400
    assert "is not a time zone we know" in response.content.decode()
    agent.refresh_from_db()
    assert agent.time_zone == "Europe/Paris"


def test_emptying_the_zone_follows_the_browser_again(client, agent):
    agent.time_zone = "Europe/Paris"
    agent.save()
    client.force_login(agent)
    client.cookies["tz"] = "Asia/Tokyo"
    response = client.post("/profile/time-zone/", {"time_zone": ""}, follow=True)
    agent.refresh_from_db()
    assert agent.time_zone == ""
    assert "Pages show times in <strong>Asia/Tokyo</strong>, your browser's zone" in response.content.decode()


def test_the_zone_does_not_outlive_the_request(client, agent):
    from django.utils import timezone

    client.force_login(agent)
    client.cookies["tz"] = "Asia/Tokyo"
    client.get("/tickets/")
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_moment_stored_as_text_is_written_in_the_zone():
    from django.utils import timezone

    from supportdesk.jinja2 import when_written

    with timezone.override("Europe/Paris"):
        assert "15 Jan 14:05 CET" in when_written("2026-01-15T13:05:00+00:00")
    assert when_written("soon") == "soon"


def test_the_api_keeps_the_sites_zone(client, agent, ticket):
    agent.time_zone = "Asia/Tokyo"
    agent.save()
    client.force_login(agent)
    body = client.get(f"/api/tickets/{ticket.reference}/").json()
    assert body["created_at"].endswith(("Z", "+00:00"))


def test_the_profile_says_where_the_zone_comes_from(client, agent):
    client.force_login(agent)
    assert "the site's zone" in client.get("/profile/").content.decode()
    client.cookies["tz"] = "Asia/Tokyo"
    assert "<strong>Asia/Tokyo</strong>, your browser's zone" in client.get("/profile/").content.decode()
