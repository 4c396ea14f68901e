"""A person's numbers, kept in E.164, and their Slack account: usable once the code sent to them (by SMS, or by a
Slack DM) is typed back, or, for Slack, once Slack's lookup by their account's address finds them."""

import hmac
import math
import re
import secrets
from datetime import datetime, timedelta

import phonenumbers
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import User
from notifications import slack
from notifications.services import notify_person

from ..exceptions import CodeRefused, InvalidNumber, InvalidSlackAccount, RuleRefused
from ..models import SLACK_MEMBER_ID, ContactMethod, Medium, NotificationRule

CODE_DIGITS = 6
CODE_VALID_FOR = timedelta(minutes=10)
CODE_ATTEMPTS = 5  # wrong codes before a new one must be sent
RESEND_AFTER = timedelta(seconds=60)


def phone_parse(raw: str) -> str:
    """The number in E.164, or InvalidNumber saying what to type."""
    try:
        number = phonenumbers.parse(raw.strip(), None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(
            "Type the number in international format: + and the country code first, e.g. +44 7700 900123."
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(f"{raw.strip()} is not a valid phone number; check the digits and the country code.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _code_hash(method: ContactMethod, code: str) -> str:
    return salted_hmac("paging.code", f"{method.pk}:{method.address}:{code}", algorithm="sha256").hexdigest()


def _code_send(method: ContactMethod, now: datetime) -> None:
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    method.code_hash, method.code_sent_at = _code_hash(method, code), now
    method.code_expires_at, method.code_attempts = now + CODE_VALID_FOR, 0
    method.save(update_fields=["code_hash", "code_sent_at", "code_expires_at", "code_attempts"])
    minutes = int(CODE_VALID_FOR.total_seconds() // 60)
    notify_person(
        ticket=None,
        key=f"verify:{method.pk}:{int(now.timestamp())}",
        target={"slack_to": method.slack_user_id} if method.medium == Medium.SLACK else {"sms_to": method.phone},
        reason="Verification code",
        subject="Supportdesk verification code",
        body=f"Your Supportdesk code is {code}. It works for {minutes} minutes. Not you? Ignore this message.",
    )


@transaction.atomic
def contact_method_set(*, user: User, medium: str, phone: str, now: datetime | None = None) -> ContactMethod:
    """Set the person's number for SMS or calls and text it a code; a new number must be verified again."""
    if medium not in (Medium.SMS, Medium.VOICE):
        raise InvalidNumber("Numbers are for SMS or calls; email pages go to your account's address.")
    e164 = phone_parse(phone)
    now = now or timezone.now()
    method = ContactMethod.objects.select_for_update().filter(user=user, medium=medium).first()
    if method is not None and method.phone == e164 and method.is_verified:
        return method
    if method is None:
        method = ContactMethod(user=user, medium=medium, phone=e164, created_at=now)
    method.phone, method.verified_at = e164, None
    method.save()
    _code_send(method, now)
    return method


def slack_member_parse(raw: str) -> str:
    """A Slack member ID as Slack shows it (U… or W…), or InvalidSlackAccount saying where to find it."""
    member = raw.strip().upper()
    if not re.fullmatch(SLACK_MEMBER_ID, member):
        raise InvalidSlackAccount(
            "Type your Slack member ID, such as U024BE7LH: in Slack, your profile, ⋮ (more), Copy member ID. "
            "Or leave it empty to be found by your email address."
        )
    return member


def contact_method_slack_set(*, user: User, slack_user_id: str = "", now: datetime | None = None) -> ContactMethod:
    """Link the person's Slack account for pages by DM. Without a member ID, Slack is asked who has their account's
    address (users.lookupByEmail): found, it is verified at once. With one, it is verified at once if Slack has the
    same address for that member, else a code goes to them as a DM, to type back as for a phone number."""
    if not slack.slack_configured():
        raise InvalidSlackAccount("Slack is not configured here: ask an admin to set up the Slack app.")
    member = slack_member_parse(slack_user_id) if slack_user_id.strip() else ""
    same_address = False
    try:  # Slack first, outside the transaction: a slow Slack must not hold the row's lock
        if not member:
            person = slack.slack_person_by_email(email=user.email) if user.email else None
            if person is None:
                raise InvalidSlackAccount(
                    f"Slack has nobody with {user.email or 'your address'}: type your Slack member ID instead."
                )
            member, same_address = person.user_id, True
        else:
            person = slack.slack_person(user_id=member)
            same_address = bool(person.email and user.email and person.email.lower() == user.email.lower())
    except slack.SlackUnavailable as exc:
        if not member:
            raise InvalidSlackAccount(f"{exc} Try again in a minute, or type your Slack member ID.") from exc
    except slack.SlackRefused as exc:
        raise InvalidSlackAccount(str(exc)) from exc
    return _slack_method_save(user=user, member=member, verified=same_address, now=now or timezone.now())


@transaction.atomic
def _slack_method_save(*, user: User, member: str, verified: bool, now: datetime) -> ContactMethod:
    method = ContactMethod.objects.select_for_update().filter(user=user, medium=Medium.SLACK).first()
    if method is not None and method.slack_user_id == member and method.is_verified:
        return method
    if method is None:
        method = ContactMethod(user=user, medium=Medium.SLACK, created_at=now)
    method.slack_user_id, method.verified_at = member, now if verified else None
    method.code_hash, method.code_expires_at = "", None
    method.save()
    if not verified:
        _code_send(method, now)
    return method


@transaction.atomic
def contact_method_code_resend(*, method: ContactMethod, now: datetime | None = None) -> ContactMethod:
    now = now or timezone.now()
    method = ContactMethod.objects.select_for_update().get(pk=method.pk)
    if method.is_verified:
        raise CodeRefused(f"This {'Slack account' if method.medium == Medium.SLACK else 'number'} is verified already.")
    if method.code_sent_at is not None and now < method.code_sent_at + RESEND_AFTER:
        wait = math.ceil((method.code_sent_at + RESEND_AFTER - now).total_seconds())
        raise CodeRefused(f"A code was sent moments ago: wait {wait} seconds before asking for another.")
    _code_send(method, now)
    return method


def contact_method_verify(*, method: ContactMethod, code: str, now: datetime | None = None) -> ContactMethod:
    """Verify the number with the code it received. A wrong code counts (its count commits even though the error
    is raised): after CODE_ATTEMPTS, a new code must be sent."""
    now = now or timezone.now()
    refusal = ""
    with transaction.atomic():
        method = ContactMethod.objects.select_for_update().get(pk=method.pk)
        if method.is_verified:
            return method
        if not method.code_hash or method.code_expires_at is None or now >= method.code_expires_at:
            refusal = "The code expired: send a new one."
        elif method.code_attempts >= CODE_ATTEMPTS:
            refusal = "Too many wrong codes: send a new one."
        elif not hmac.compare_digest(method.code_hash, _code_hash(method, "".join(code.split()))):
            method.code_attempts += 1
            method.save(update_fields=["code_attempts"])
            left = CODE_ATTEMPTS - method.code_attempts
            refusal = f"That code is not right; {left} tries left." if left else "That code is not right either."
        else:
            method.verified_at, method.code_hash, method.code_expires_at = now, "", None
            method.save(update_fields=["verified_at", "code_hash", "code_expires_at"])
    if refusal:
        raise CodeRefused(refusal)
    return method


@transaction.atomic
def contact_method_delete(*, method: ContactMethod) -> None:
    if NotificationRule.objects.filter(user_id=method.user_id, medium=method.medium).exists():
        raise RuleRefused(
            f"Your rules page you by {method.get_medium_display()}: take those steps out (or use the team default) "
            f"before removing the {'Slack account' if method.medium == Medium.SLACK else 'number'}."
        )
    method.delete()
