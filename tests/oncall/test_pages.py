"""The on-call pages, overrides and swaps made by the engineers, layers edited by managers, iCal feeds, the reminder
before a shift, GET /api/oncall/ (the rotations moved over: test_migration.py)."""

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from accounts.roles import Role
from notifications.models import Notification
from oncall import services
from oncall.models import Layer, Override, Swap
from oncall.selectors import oncall_people

from ..factories import QueueFactory, UserFactory
from .helpers import oncall_layer

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 3, 10, tzinfo=UTC)  # a Tuesday: Ann's first week


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def team(db):
    ann, bob, cy = (UserFactory(role=Role.AGENT, first_name=n, last_name="Test") for n in ("Ann", "Bob", "Cy"))
    queue = QueueFactory(name="Payments", slug="payments", members=[ann, bob, cy])
    primary = oncall_layer(queue, "Primary", ann, bob, cy)
    secondary = oncall_layer(queue, "Secondary", cy, ann)
    return queue, primary, secondary, (ann, bob, cy)


def told(prefix: str) -> list[str]:
    return [n.email for n in Notification.objects.filter(key__startswith=prefix).order_by("pk")]


@pytest.mark.parametrize(("role", "status"), [("requester", 403), ("agent", 200), ("manager", 200), ("admin", 200)])
def test_the_board_is_for_staff_and_names_each_layers_person(client, clock, team, role, status):
    client.force_login(UserFactory(role=role))
    response = client.get("/oncall/")
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "Primary" in page and "Secondary" in page and "Ann Test" in page and "Cy Test" in page


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_board_and_the_api_cost_the_same_queries_however_many_queues(client, clock, team, manager):
    client.force_login(manager)
    _queries(client, "/oncall/")
    board, api = _queries(client, "/oncall/"), _queries(client, "/api/oncall/")
    for _ in range(4):
        queue = QueueFactory()
        oncall_layer(queue, "Primary", *team[3])
        oncall_layer(queue, "Secondary", team[3][0])
    assert (_queries(client, "/oncall/"), _queries(client, "/api/oncall/")) == (board, api)


def test_the_api_says_who_is_on_call_now_and_next_in_utc(client, clock, team, agent):
    client.force_login(agent)
    QueueFactory(name="Accounts payable")
    body = client.get("/api/oncall/").json()
    names = [q["name"] for q in body["results"]]
    assert names == sorted(names) and names[0] == "Accounts payable"  # by name, as the board lists them
    payments = next(q for q in body["results"] if q["queue"] == "payments")
    primary = payments["layers"][0]
    assert (primary["position"], primary["name"], primary["now"]["person"]["name"]) == (1, "Primary", "Ann Test")
    assert primary["now"]["ends_at"] == "2026-03-09T09:00:00Z"
    assert (primary["next"]["person"]["name"], primary["next"]["starts_at"]) == ("Bob Test", "2026-03-09T09:00:00Z")
    client.force_login(UserFactory(role=Role.REQUESTER))
    assert client.get("/api/oncall/").status_code == 403


def test_the_schedule_page_shows_the_calendar_in_the_viewers_zone_and_gaps_to_managers(client, clock, team, manager):
    _, primary, *_ = team
    primary.restrictions.create(weekday=1, starts="09:00", ends="17:00")
    client.force_login(manager)
    page = client.get("/oncall/payments/?weeks=1").content.decode()
    assert "Nobody on the primary" in page and "has-gap" in page and "UTC" in page
    client.force_login(team[3][1])
    page = client.get("/oncall/payments/").content.decode()
    assert "Nobody on the primary" not in page and "Cover a stretch" in page


def test_the_override_and_swap_forms_give_each_field_an_id_of_its_own(client, clock, team):
    client.force_login(team[3][0])
    page = client.get("/oncall/payments/").content.decode()

    ids = re.findall(r'\bid="([^"]+)"', page)
    assert "Propose the swap" in page and len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_an_engineer_gets_a_colleague_to_cover_and_the_covered_person_is_told(client, clock, team):
    queue, primary, _, (ann, bob, _) = team
    client.force_login(ann)
    form = {"layer": primary.pk, "user": bob.pk, "starts_at": "2026-03-03T18:00", "ends_at": "2026-03-03T23:00"}
    response = client.post("/oncall/payments/overrides/", form)
    assert response.status_code == 302
    assert oncall_people(queue_id=queue.pk, at=datetime(2026, 3, 3, 19, tzinfo=UTC), layer=1)[0][1] == bob
    assert told("oncall:override:") == [bob.email]  # Ann asked for it herself: only Bob hears
    late = client.post("/oncall/payments/overrides/", form | {"ends_at": "2026-03-03T17:00"})
    assert late.status_code == 400 and "The override must end after it starts." in late.content.decode()


def test_someone_outside_the_queue_may_not_cover_nor_act(client, clock, team):
    outsider = UserFactory(role=Role.AGENT)
    client.force_login(team[3][0])
    form = {"layer": team[1].pk, "user": outsider.pk, "starts_at": "2026-03-03T18:00", "ends_at": "2026-03-03T23:00"}
    response = client.post("/oncall/payments/overrides/", form)
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    client.force_login(outsider)
    assert client.post("/oncall/payments/overrides/", form).status_code == 403


def test_a_swap_is_proposed_told_and_accepted_into_overrides(client, clock, team):
    queue, primary, _, (ann, bob, _) = team
    client.force_login(ann)
    form = {
        "layer": primary.pk,
        "recipient": bob.pk,
        "starts_at": "2026-03-05T09:00",
        "ends_at": "2026-03-06T09:00",
        "return_starts_at": "2026-03-10T09:00",
        "return_ends_at": "2026-03-11T09:00",
    }
    assert client.post("/oncall/payments/swaps/", form).status_code == 302
    swap = Swap.objects.get()
    assert told(f"oncall:swap:{swap.pk}:") == [bob.email]
    not_mine = client.post(
        "/oncall/payments/swaps/", form | {"starts_at": "2026-03-10T09:00", "ends_at": "2026-03-11T09:00"}
    )
    assert "You are not on call on this layer then" in not_mine.content.decode()
    client.post(f"/oncall/swaps/{swap.pk}/accept/")  # Ann may only cancel hers
    swap.refresh_from_db()
    assert swap.status == "proposed"
    client.force_login(bob)
    asked = " ".join(strip_tags(client.get("/oncall/mine/").content.decode()).split())
    assert "Fri 6 Mar 09:00 UTC, in return for Tue 10 Mar 09:00" in asked
    client.post(f"/oncall/swaps/{swap.pk}/accept/")
    swap.refresh_from_db()
    assert swap.status == "accepted"
    at = lambda *f: oncall_people(queue_id=queue.pk, at=datetime(*f, tzinfo=UTC), layer=1)[0][1]  # noqa: E731
    assert (at(2026, 3, 5, 12), at(2026, 3, 10, 12)) == (bob, ann)
    assert told(f"oncall:swap:{swap.pk}:accepted") == [ann.email]
    assert client.post(f"/oncall/swaps/{swap.pk}/accept/").status_code == 404  # decided: no longer open
    assert Override.objects.count() == 2


def test_managers_edit_layers_in_the_portal_and_engineers_may_not(client, clock, team, manager):
    _, primary, _, (ann, bob, _) = team
    form = {
        "position": 1,
        "name": "Europe",
        "time_zone": "Europe/London",
        "shift": "daily",
        "shift_hours": 12,
        "handoff_weekday": 0,
        "handoff_time": "08:00",
        "start_date": "2026-03-02",
        "members": f"{bob.email}\n{ann.email}",
        "windows": "Mon-Fri 08:00-20:00",
    }
    client.force_login(ann)
    assert client.post(f"/oncall/payments/layers/{primary.pk}/", form).status_code == 403
    client.force_login(manager)
    bad = client.post(f"/oncall/payments/layers/{primary.pk}/", form | {"windows": "Mon 8-20", "time_zone": "Mars"})
    assert bad.status_code == 400
    assert "write a day or days and times" in bad.content.decode() and "is not a time zone" in bad.content.decode()
    taken = client.post("/oncall/payments/layers/new/", form | {"position": 2})
    assert "Another layer of this schedule has this position." in taken.content.decode()
    assert client.post(f"/oncall/payments/layers/{primary.pk}/", form).status_code == 302
    primary.refresh_from_db()
    assert (primary.name, primary.shift, [m.user for m in primary.members.all()]) == ("Europe", "daily", [bob, ann])
    assert primary.restrictions.count() == 5


def test_feeds_are_ical_at_a_secret_address_and_a_wrong_one_is_a_404(client, clock, team):
    queue, _, _, (ann, *_) = team
    token = services.person_feed_token(user=ann)
    response = client.get(f"/oncall/feeds/{token}.ics")  # no session
    assert response["Content-Type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    first = next(e for e in events if "Primary" in str(e["summary"]))
    assert first.decoded("dtend") == datetime(2026, 3, 9, 9, tzinfo=UTC)  # Monday 09:00 London is 09:00 UTC
    again = icalendar.Calendar.from_ical(client.get(f"/oncall/feeds/{token}.ics").content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [str(e["uid"]) for e in again]  # stable per shift
    schedule_feed = client.get(f"/oncall/feeds/{queue.oncall_schedule.feed_token}.ics")
    assert b"Secondary" in schedule_feed.content
    new = services.person_feed_token(user=ann, regenerate=True)
    assert client.get(f"/oncall/feeds/{token}.ics").status_code == 404
    assert client.get(f"/oncall/feeds/{new}.ics").status_code == 200


def test_a_reminder_goes_once_before_a_shift_starts(clock, team):
    _, _, _, (ann, bob, _) = team
    clock.move_to(datetime(2026, 3, 9, 8, 40, tzinfo=UTC))  # Bob takes the primary at 09:00, Ann the secondary
    assert services.shift_reminders_send() >= 1
    clock.shift(timedelta(minutes=5))
    services.shift_reminders_send()
    assert told("oncall:reminder:") == [bob.email, ann.email]


def test_a_manager_gives_a_queue_its_first_layer_and_the_schedule_is_made(client, clock, manager):
    ann = UserFactory(role=Role.AGENT)
    queue = QueueFactory(slug="platform", members=[ann])
    client.force_login(manager)
    assert client.get("/oncall/platform/").status_code == 404  # no schedule yet
    assert client.get("/oncall/platform/layers/new/").status_code == 200
    form = {
        "position": 1,
        "name": "Primary",
        "time_zone": "America/New_York",
        "shift": "custom",
        "shift_hours": 12,
        "handoff_weekday": 0,
        "handoff_time": "08:00",
        "start_date": "2026-03-02",
        "members": ann.email.upper(),
        "windows": "",
    }
    assert client.post("/oncall/platform/layers/new/", form).status_code == 302
    assert oncall_people(queue_id=queue.pk, at=NOW) == [(Layer.objects.get(), ann)]
    assert ann.display_name in client.get("/oncall/").content.decode()


def test_the_person_covering_removes_an_override_and_others_may_not(client, clock, team):
    queue, primary, _, (ann, bob, cy) = team
    override = services.override_create(
        layer=primary, actor=ann, user=bob, starts_at=NOW + timedelta(hours=1), ends_at=NOW + timedelta(hours=3)
    )
    client.force_login(cy)
    assert "Overrides ahead" in client.get("/oncall/payments/").content.decode()
    client.post(f"/oncall/payments/overrides/{override.pk}/delete/")
    assert Override.objects.filter(pk=override.pk).exists()  # Cy neither covers nor set it up
    client.force_login(bob)
    client.post(f"/oncall/payments/overrides/{override.pk}/delete/")
    assert not Override.objects.filter(pk=override.pk).exists()
    assert oncall_people(queue_id=queue.pk, at=NOW + timedelta(hours=2), layer=1)[0][1] == ann


def test_the_schema_documents_the_oncall_endpoint_with_instants_in_utc(client, agent):
    client.force_login(agent)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/oncall/" in schema["paths"]
    layer = schema["components"]["schemas"]["Stretch"]["properties"]
    assert layer["starts_at"]["format"] == "date-time"


@pytest.mark.parametrize("path", ["/oncall/payments/?weeks=6", "/oncall/mine/?weeks=6"])
def test_the_schedule_and_my_shifts_cost_the_same_queries_however_many_layers_and_overrides(client, clock, team, path):
    queue, _, _, (ann, bob, cy) = team
    client.force_login(ann)
    _queries(client, path)
    few = _queries(client, path)
    for n in range(3):
        layer = oncall_layer(queue, f"Extra {n}", ann, bob, cy)
        layer.restrictions.create(weekday=n, starts="09:00", ends="17:00")
        services.override_create(
            layer=layer,
            actor=ann,
            user=bob,
            starts_at=NOW + timedelta(days=n),
            ends_at=NOW + timedelta(days=n, hours=2),
        )
    assert _queries(client, path) == few


def test_htmx_gets_the_calendar_alone_for_the_weeks_chosen(client, clock, team):
    client.force_login(team[3][0])
    response = client.get("/oncall/payments/?weeks=3", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card oncall-calendar"') and "The next 3 weeks" in page
    assert page.count('<td class="nowrap">') == 21
