"""Notification rules: each person's own, and each queue's defaults, which a person's rules may only tighten."""

from datetime import timedelta

from django.db import transaction

from accounts.models import User
from tickets.models import Queue

from ..exceptions import RuleRefused
from ..models import CONTACT_MEDIA, LONGEST_DELAY, Band, ContactMethod, Medium, NotificationRule, delay_words
from ..selectors import Step, defaults_by_queue, loosened, queues_of, steps_of, team_defaults


def _check_tightens(user: User, band: str, mine: list[Step]) -> None:
    if not mine:
        return  # no rules of one's own: the team default applies
    defaults = defaults_by_queue(list(team_defaults(queues=queues_of(user))), band)
    for queue, default in defaults.items():
        if (gap := loosened(mine, default)) is not None:
            delay, medium = gap
            raise RuleRefused(
                f"The {queue} default pages by {Medium(medium).label} {delay_words(delay)}: your rules for "
                f"{Band(band).label} need a step at least as loud by then (call > SMS > Slack DM > email)."
            )


def _check_step(delay: timedelta, medium: str) -> None:
    if delay < timedelta(0) or delay > LONGEST_DELAY:
        raise RuleRefused("Use a delay between 0 (at once) and 24 hours.")
    if medium not in Medium.values:
        raise RuleRefused(f"“{medium}” is not a way to page: use email, a Slack DM, SMS or a phone call.")


@transaction.atomic
def rule_add(*, user: User, band: str, delay: timedelta, medium: str) -> NotificationRule:
    """Add a step to the person's rules for the band. Their first step starts from the defaults of their teams (so
    the rules tighten them from the start); SMS and calls need a verified number, Slack DMs a verified Slack account."""
    _check_step(delay, medium)
    verified = set(ContactMethod.objects.filter(user=user, verified_at__isnull=False).values_list("medium", flat=True))
    if medium == Medium.SLACK and medium not in verified:
        raise RuleRefused("Link and verify your Slack account first.")
    if medium in CONTACT_MEDIA and medium not in verified:
        raise RuleRefused(f"Add and verify a number for {Medium(medium).label} first.")
    User.objects.select_for_update().filter(pk=user.pk).first()  # one person's rules change one at a time
    mine = list(NotificationRule.objects.filter(user=user, band=band))
    if not mine:
        defaults = defaults_by_queue(list(team_defaults(queues=queues_of(user))), band)
        start = {step for steps in defaults.values() for step in steps}
        mine = [
            NotificationRule.objects.create(user=user, band=band, delay=d, medium=m)
            for d, m in sorted(start)
            if m == Medium.EMAIL or m in verified
        ]
    rule, _ = NotificationRule.objects.get_or_create(user=user, band=band, delay=delay, medium=medium)
    _check_tightens(user, band, steps_of([*mine, rule], band))
    return rule


@transaction.atomic
def rule_remove(*, rule: NotificationRule) -> None:
    """Take a step out of a person's rules, if what is left still tightens their teams' defaults (or is empty: the
    default applies again). A queue's default step goes freely."""
    if rule.user is not None:
        User.objects.select_for_update().filter(pk=rule.user.pk).first()
        rest = list(NotificationRule.objects.filter(user=rule.user, band=rule.band).exclude(pk=rule.pk))
        _check_tightens(rule.user, rule.band, steps_of(rest, rule.band))
    rule.delete()


@transaction.atomic
def rules_reset(*, user: User, band: str) -> int:
    """Back to the team default for the band."""
    deleted, _ = NotificationRule.objects.filter(user=user, band=band).delete()
    return deleted


@transaction.atomic
def team_rule_add(*, queue: Queue, band: str, delay: timedelta, medium: str) -> NotificationRule:
    """A step of the queue's default (people with their own rules keep them; pages merge both while theirs are
    looser)."""
    _check_step(delay, medium)
    rule, _ = NotificationRule.objects.get_or_create(queue=queue, band=band, delay=delay, medium=medium)
    return rule
