"""On-call rotations and overrides, the /oncall/ page, and the configuration pages' checks."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms import inlineformset_factory
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from escalation.admin import WorkingHoursFormSet
from escalation.models import (
    BusinessCalendar,
    EscalationStep,
    OnCallMember,
    OnCallOverride,
    OnCallRotation,
    SlaPolicy,
    WorkingHours,
)
from escalation.selectors import oncall_board, oncall_for
from tickets.selectors import queue_managers

from ..factories import QueueFactory, UserFactory, severity
from .conftest import escalation_policy

pytestmark = pytest.mark.django_db


def utc(*fields) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def rotation(queue, *people, start=date(2026, 3, 2), zone="Europe/London") -> OnCallRotation:
    """Weekly, handing over on Mondays at 09:00 local time; the first handoff on Monday 2 March 2026."""
    made = OnCallRotation.objects.create(queue=queue, time_zone=zone, start_date=start)
    OnCallMember.objects.bulk_create(OnCallMember(rotation=made, user=p, position=i) for i, p in enumerate(people))
    return made


@pytest.fixture
def ann_bob_cy(db):
    return [UserFactory(role=Role.AGENT, first_name=n, last_name="Test") for n in ("Ann", "Bob", "Cy")]


def cover(queue, user, starts_at: datetime, ends_at: datetime) -> OnCallOverride:
    rotation = queue.oncall_rotation
    return OnCallOverride.objects.create(rotation=rotation, user=user, starts_at=starts_at, ends_at=ends_at)


@pytest.fixture
def queue_with_rotation(ann_bob_cy):
    queue = QueueFactory(members=ann_bob_cy)
    rotation(queue, *ann_bob_cy)
    return queue


SHIFTS = [
    ("before the first handoff", utc(2026, 3, 2, 8, 59), None),
    ("the first handoff", utc(2026, 3, 2, 9, 0), "Ann"),
    ("the last minute of the first week", utc(2026, 3, 9, 8, 59), "Ann"),
    ("the second handoff", utc(2026, 3, 9, 9, 0), "Bob"),
    ("the third week", utc(2026, 3, 18, 3, 0), "Cy"),
    ("round again", utc(2026, 3, 23, 12, 0), "Ann"),
    # Clocks go forward on 29 March: the handoff stays at 09:00 in London, which is now 08:00 UTC
    ("just before the handoff after the change of clocks", utc(2026, 3, 30, 7, 59), "Ann"),
    ("the handoff after the change of clocks", utc(2026, 3, 30, 8, 0), "Bob"),
]


@pytest.mark.parametrize(("why", "moment", "name"), SHIFTS, ids=[s[0] for s in SHIFTS])
def test_the_rotation_hands_over_weekly_at_local_time(queue_with_rotation, why, moment, name):
    person = oncall_for(queue=queue_with_rotation, at=moment)
    assert (person.first_name if person else None) == name


def test_an_override_covers_its_stretch_and_the_rotation_resumes(queue_with_rotation, ann_bob_cy):
    _, bob, cy = ann_bob_cy
    cover(queue_with_rotation, cy, utc(2026, 3, 10, 12), utc(2026, 3, 11, 12))
    assert oncall_for(queue=queue_with_rotation, at=utc(2026, 3, 10, 11, 59)) == bob
    assert oncall_for(queue=queue_with_rotation, at=utc(2026, 3, 10, 12)) == cy
    assert oncall_for(queue=queue_with_rotation, at=utc(2026, 3, 11, 12)) == bob


def test_an_override_across_the_handoff_keeps_its_person(queue_with_rotation, ann_bob_cy):
    ann, bob, _ = ann_bob_cy
    cover(queue_with_rotation, ann, utc(2026, 3, 9, 0), utc(2026, 3, 9, 18))
    assert oncall_for(queue=queue_with_rotation, at=utc(2026, 3, 9, 9, 30)) == ann  # Bob's week, Ann's cover
    assert oncall_for(queue=queue_with_rotation, at=utc(2026, 3, 9, 18)) == bob


def test_the_board_shows_who_is_on_now_and_who_takes_over(queue_with_rotation, ann_bob_cy):
    ann, _, cy = ann_bob_cy
    cover(queue_with_rotation, cy, utc(2026, 3, 4, 12), utc(2026, 3, 5, 12))
    empty = QueueFactory()
    rows = {row.queue: row for row in oncall_board(now=utc(2026, 3, 3, 10))}
    row = rows[queue_with_rotation]
    assert (row.current, row.next_person, row.next_at) == (ann, cy, utc(2026, 3, 4, 12))
    after = {r.queue: r for r in oncall_board(now=utc(2026, 3, 4, 13))}[queue_with_rotation]
    assert (after.current, after.next_person, after.next_at) == (cy, ann, utc(2026, 3, 5, 12))
    assert (rows[empty].has_rotation, rows[empty].current, rows[empty].next_person) == (False, None, None)


def test_a_queues_managers_are_its_members_with_the_manager_role_else_all_managers(ann_bob_cy):
    inside, outside = UserFactory(role=Role.MANAGER), UserFactory(role=Role.MANAGER)
    assert queue_managers(queue=QueueFactory(members=[inside, *ann_bob_cy])) == [inside]
    assert queue_managers(queue=QueueFactory(members=ann_bob_cy)) == [inside, outside]


@pytest.mark.parametrize(("role", "status"), [("requester", 403), ("agent", 200), ("manager", 200), ("admin", 200)])
def test_the_oncall_page_is_for_staff(client, queue_with_rotation, role, status):
    client.force_login(UserFactory(role=role))
    response = client.get("/oncall/")
    assert response.status_code == status
    if status == 200:
        assert queue_with_rotation.name in response.content.decode()


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/oncall/").status_code == 200
    return len(queries)


def test_the_oncall_page_costs_the_same_queries_however_many_queues(client, manager, ann_bob_cy):
    client.force_login(manager)
    rotation(QueueFactory(), *ann_bob_cy)
    _page_queries(client)  # the person and their permissions are cached from the first page on
    few = _page_queries(client)
    for _ in range(5):
        queue = QueueFactory()
        rotation(queue, *ann_bob_cy)
        cover(queue, ann_bob_cy[0], utc(2026, 1, 1), utc(2099, 1, 1))
    assert _page_queries(client) == few == 4  # session, queues with rotations, members, overrides


def test_the_admin_lists_who_is_on_call_now(client, admin_user, queue_with_rotation, ann_bob_cy):
    cover(queue_with_rotation, ann_bob_cy[2], utc(2026, 1, 1), utc(2099, 1, 1))
    client.force_login(admin_user)
    response = client.get("/admin/escalation/oncallrotation/")
    assert "On call now" in response.content.decode()
    assert ann_bob_cy[2].display_name in response.content.decode()


def test_the_admin_refuses_a_second_policy_for_the_same_severity_and_queue(client, admin_user):
    queue = QueueFactory()
    SlaPolicy.objects.create(
        severity=severity("SEV1"), queue=queue, acknowledge_within="00:15:00", resolve_within="04:00:00"
    )
    client.force_login(admin_user)
    form = {
        "severity": severity("SEV1").pk,
        "queue": queue.pk,
        "acknowledge_within": "00:10:00",
        "resolve_within": "02:00:00",
        "warn_at": 80,
    }
    response = client.post("/admin/escalation/slapolicy/add/", form)
    assert "This queue already has a policy for this severity." in response.content.decode()
    response = client.post("/admin/escalation/slapolicy/add/", form | {"queue": "", "warn_at": 100})
    assert "Ensure this value is less than or equal to 99." in response.content.decode()
    assert SlaPolicy.objects.count() == 1


def _hours_formset(*rows: tuple[int, str, str]):
    calendar = BusinessCalendar.objects.create(name=f"Office {BusinessCalendar.objects.count()}")
    data = {"hours-TOTAL_FORMS": len(rows), "hours-INITIAL_FORMS": 0}
    for i, (weekday, opens, closes) in enumerate(rows):
        data |= {f"hours-{i}-weekday": weekday, f"hours-{i}-opens": opens, f"hours-{i}-closes": closes}
    formset_class = inlineformset_factory(
        BusinessCalendar, WorkingHours, formset=WorkingHoursFormSet, fields=["weekday", "opens", "closes"]
    )
    return formset_class(data, instance=calendar, prefix="hours")


def test_working_hours_must_end_after_they_start_and_not_overlap():
    assert _hours_formset((0, "09:00", "12:00"), (0, "13:00", "17:00"), (5, "10:00", "00:00")).is_valid()
    late = _hours_formset((0, "17:00", "09:00"))
    assert not late.is_valid()
    assert "Working hours must end after they start (00:00 for midnight)." in str(late.errors)
    overlapping = _hours_formset((0, "09:00", "13:00"), (0, "12:00", "17:00"))
    assert not overlapping.is_valid()
    assert overlapping.non_form_errors() == ["Monday: working hours overlap; make them one span or two apart."]


def test_steps_and_rotations_say_what_is_wrong():
    step = EscalationStep(policy=escalation_policy(), position=1, action="notify_oncall", delay=timedelta(minutes=-5))
    with pytest.raises(ValidationError) as refused:
        step.full_clean()
    assert refused.value.message_dict["delay"] == ["A delay cannot be negative."]
    step = EscalationStep(policy=escalation_policy(name="AWS"), position=1, action="open_aws_case")
    with pytest.raises(ValidationError, match="Choose the severity to ask AWS for"):
        step.full_clean()
    step = EscalationStep(policy=escalation_policy(name="Ops"), position=1, action="notify_channel")
    with pytest.raises(ValidationError, match="Choose the channel to notify"):
        step.full_clean()
    wednesday = OnCallRotation(queue=QueueFactory(), start_date=date(2026, 3, 4), handoff_time=time(9))
    with pytest.raises(ValidationError, match="The first handoff must be on a Monday"):
        wednesday.full_clean()
