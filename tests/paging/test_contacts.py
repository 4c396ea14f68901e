"""Numbers: kept in E.164, verified by a code texted to them (hashed, expiring, a few tries, resends throttled)."""

import re
from datetime import timedelta

import pytest

from accounts.roles import Role
from notifications.models import Notification
from paging.exceptions import CodeRefused, InvalidNumber, RuleRefused
from paging.models import ContactMethod
from paging.services import (
    contact_method_code_resend,
    contact_method_delete,
    contact_method_set,
    contact_method_verify,
    rule_add,
)

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def code_texted(number: str) -> str:
    body = Notification.objects.filter(sms_to=number).latest("pk").body
    return re.search(r"code is (\d{6})", body).group(1)


@pytest.fixture
def person(db):
    return UserFactory(role=Role.AGENT)


def test_a_number_is_kept_in_e164_and_texted_a_code(clock, person):
    method = contact_method_set(user=person, medium="sms", phone="+44 7911 123456")

    assert (method.phone, method.is_verified) == ("+447911123456", False)
    code = code_texted("+447911123456")
    assert code not in method.code_hash  # kept hashed


def test_the_right_code_verifies_the_number(clock, person):
    method = contact_method_set(user=person, medium="voice", phone="+1 415 555 0100")

    method = contact_method_verify(method=method, code=code_texted("+14155550100"))

    assert method.is_verified


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("07700 900123", "international format"),
        ("+44 12", "not a valid phone number"),
        ("call me", "international format"),
    ],
)
def test_a_number_that_is_not_one_is_refused_saying_what_to_type(person, typed, says):
    with pytest.raises(InvalidNumber, match=says):
        contact_method_set(user=person, medium="sms", phone=typed)


def test_wrong_codes_are_counted_and_then_refused(clock, person):
    method = contact_method_set(user=person, medium="sms", phone="+447911123456")
    right = code_texted("+447911123456")
    wrong = "000000" if right != "000000" else "111111"

    for left in (4, 3, 2, 1):
        with pytest.raises(CodeRefused, match=f"{left} tries left"):
            contact_method_verify(method=method, code=wrong)
    with pytest.raises(CodeRefused, match="not right either"):
        contact_method_verify(method=method, code=wrong)
    with pytest.raises(CodeRefused, match="Too many wrong codes"):
        contact_method_verify(method=method, code=right)  # even the right one, now


def test_a_code_expires(clock, person):
    method = contact_method_set(user=person, medium="sms", phone="+447911123456")
    clock.shift(timedelta(minutes=10))

    with pytest.raises(CodeRefused, match="expired"):
        contact_method_verify(method=method, code=code_texted("+447911123456"))


def test_resending_is_throttled_and_a_new_code_replaces_the_old(clock, person):
    method = contact_method_set(user=person, medium="sms", phone="+447911123456")
    old = code_texted("+447911123456")
    with pytest.raises(CodeRefused, match="wait 60 seconds"):
        contact_method_code_resend(method=method)
    clock.shift(timedelta(seconds=61))

    contact_method_code_resend(method=method)

    new = code_texted("+447911123456")
    assert Notification.objects.filter(sms_to="+447911123456").count() == 2
    if new != old:
        with pytest.raises(CodeRefused):
            contact_method_verify(method=method, code=old)
    assert contact_method_verify(method=method, code=new).is_verified


def test_a_changed_number_must_be_verified_again(clock, person):
    method = contact_method_set(user=person, medium="sms", phone="+447911123456")
    contact_method_verify(method=method, code=code_texted("+447911123456"))

    method = contact_method_set(user=person, medium="sms", phone="+447911123555")

    assert (method.phone, method.is_verified) == ("+447911123555", False)
    assert ContactMethod.objects.filter(user=person).count() == 1


def test_a_number_in_use_by_ones_rules_cannot_be_removed(clock, person):
    method = contact_method_set(user=person, medium="sms", phone="+447911123456")
    contact_method_verify(method=method, code=code_texted("+447911123456"))
    rule_add(user=person, band="urgent", delay=timedelta(0), medium="sms")

    with pytest.raises(RuleRefused, match="take those steps out"):
        contact_method_delete(method=method)
