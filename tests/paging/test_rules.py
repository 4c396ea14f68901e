"""A person's rules may only tighten their teams' defaults: for each step of a default, a step at least as loud, no
later. Pages merge both while a person's rules are looser than a default set after them."""

from datetime import timedelta

import pytest

from paging.exceptions import RuleRefused
from paging.models import NotificationRule
from paging.selectors import loosened, page_plan
from paging.services import rule_add, rule_remove, rules_reset

from ..factories import QueueFactory, UserFactory
from .conftest import rules, verified

pytestmark = pytest.mark.django_db
minutes = lambda n: timedelta(minutes=n)  # noqa: E731


@pytest.mark.parametrize(
    ("mine", "default", "gap"),
    [
        ([(minutes(0), "sms")], [(minutes(0), "sms")], None),
        ([(minutes(0), "voice")], [(minutes(2), "sms")], None),  # louder and sooner
        ([(minutes(5), "sms")], [(minutes(2), "sms")], (minutes(2), "sms")),  # later
        ([(minutes(0), "email")], [(minutes(0), "sms")], (minutes(0), "sms")),  # quieter
        ([(minutes(0), "sms")], [(minutes(0), "sms"), (minutes(5), "voice")], (minutes(5), "voice")),
    ],
)
def test_tightening_means_as_loud_and_no_later_for_every_default_step(mine, default, gap):
    assert loosened(mine, default) == gap


@pytest.fixture
def team_member(db):
    person = UserFactory(first_name="Jo", last_name="Lind")
    queue = QueueFactory(name="Payments", members=[person])
    rules({"queue": queue}, "urgent", (0, "sms"), (5, "voice"))
    verified(person, "sms", "+447700900123")
    verified(person, "voice", "+447700900124")
    return person, queue


def steps(person, band="urgent"):
    return [(r.delay, r.medium) for r in NotificationRule.objects.filter(user=person, band=band).order_by("delay")]


def test_ones_first_step_starts_from_the_team_default(team_member):
    person, _ = team_member

    rule_add(user=person, band="urgent", delay=minutes(2), medium="voice")

    assert steps(person) == [(minutes(0), "sms"), (minutes(2), "voice"), (minutes(5), "voice")]


def test_a_step_that_would_loosen_the_default_is_refused_with_the_reason(team_member):
    person, _ = team_member
    rule_add(user=person, band="urgent", delay=minutes(2), medium="voice")
    rule_remove(rule=NotificationRule.objects.get(user=person, delay=minutes(5)))  # the 2-minute call covers it
    sms = NotificationRule.objects.get(user=person, medium="sms")

    with pytest.raises(RuleRefused, match="The Payments default pages by SMS at once"):
        rule_remove(rule=sms)
    assert steps(person) == [(minutes(0), "sms"), (minutes(2), "voice")]


def test_sms_and_calls_need_a_verified_number(db):
    person = UserFactory()

    with pytest.raises(RuleRefused, match="verify a number for SMS first"):
        rule_add(user=person, band="urgent", delay=minutes(0), medium="sms")


def test_resetting_goes_back_to_the_team_default(team_member):
    person, queue = team_member
    rule_add(user=person, band="urgent", delay=minutes(1), medium="voice")

    rules_reset(user=person, band="urgent")

    plan = page_plan(user=person, queue_id=queue.pk, band="urgent")
    assert (plan.rules_from, plan.steps) == (
        "the Payments default for SEV1 and SEV2",
        [(minutes(0), "sms"), (minutes(5), "voice")],
    )


def test_rules_looser_than_a_default_set_later_are_merged_with_it(db):
    person = UserFactory(first_name="Jo", last_name="Lind")
    queue = QueueFactory(name="Payments", members=[person])
    rules({"user": person}, "urgent", (10, "email"))
    rules({"queue": queue}, "urgent", (0, "sms"))  # the team tightened its default afterwards

    plan = page_plan(user=person, queue_id=queue.pk, band="urgent")

    assert plan.steps == [(minutes(0), "sms"), (minutes(10), "email")]
    assert plan.rules_from == "Jo Lind's rules and the Payments default"
