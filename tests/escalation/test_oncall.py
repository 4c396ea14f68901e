"""The configuration pages' checks: SLA policies, working hours, escalation steps (on-call: tests/oncall)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory

from accounts.roles import Role
from escalation.admin import WorkingHoursFormSet
from escalation.models import (
    BusinessCalendar,
    EscalationStep,
    SlaPolicy,
    WorkingHours,
)
from tickets.selectors import queue_managers

from ..factories import QueueFactory, UserFactory, severity
from .conftest import escalation_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann_bob_cy(db):
    return [UserFactory(role=Role.AGENT, first_name=n, last_name="Test") for n in ("Ann", "Bob", "Cy")]


def test_a_queues_managers_are_its_members_with_the_manager_role_else_all_managers(ann_bob_cy):
    inside, outside = UserFactory(role=Role.MANAGER), UserFactory(role=Role.MANAGER)
    assert queue_managers(queue=QueueFactory(members=[inside, *ann_bob_cy])) == [inside]
    assert queue_managers(queue=QueueFactory(members=ann_bob_cy)) == [inside, outside]


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
    step = EscalationStep(policy=escalation_policy(name="Mgr"), position=1, action="notify_managers", oncall_layer=2)
    with pytest.raises(ValidationError, match="Only an on-call step has a layer"):
        step.full_clean()
