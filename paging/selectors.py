"""Reads: a person's numbers and rules, the team defaults, and the plan a page follows."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet

from accounts.models import User
from tickets.models import Queue, QueueMember

from .models import LOUDNESS, Band, ContactMethod, Medium, NotificationRule, delay_words

Step = tuple[timedelta, str]  # (delay after the page started, medium)
FALLBACK: list[Step] = [(timedelta(0), Medium.EMAIL)]


@dataclass(frozen=True)
class Plan:
    rules_from: str  # for the timeline: whose rules these are
    steps: list[Step]


def describe(steps: list[Step]) -> str:
    """ "SMS at once, phone call after 5 min" """
    return ", ".join(f"{Medium(m).label} {delay_words(d)}" for d, m in steps) or "nothing"


def loosened(mine: list[Step], default: list[Step]) -> Step | None:
    """The first step of the default that ``mine`` does not match. Tightening means: for every step of the team's
    default, your rules have a step at least as loud (call > SMS > email) no later."""
    for delay, medium in default:
        if not any(d <= delay and LOUDNESS[Medium(m)] >= LOUDNESS[Medium(medium)] for d, m in mine):
            return delay, medium
    return None


def contact_methods(*, user: User) -> dict[str, ContactMethod]:
    return {m.medium: m for m in ContactMethod.objects.filter(user=user)}


def slack_member_user(*, slack_user_id: str) -> User | None:
    """The active person who linked and verified this Slack member ID on My paging, if any."""
    method = (
        ContactMethod.objects.select_related("user")
        .filter(medium=Medium.SLACK, slack_user_id=slack_user_id, verified_at__isnull=False, user__is_active=True)
        .first()
    )
    return method.user if method is not None else None


def personal_rules(*, user: User) -> QuerySet[NotificationRule]:
    return NotificationRule.objects.filter(user=user).order_by("band", "delay", "pk")


def team_defaults(*, queues: QuerySet[Queue] | list[Queue]) -> QuerySet[NotificationRule]:
    return NotificationRule.objects.filter(queue__in=queues).select_related("queue").order_by("queue__name", "delay")


def queues_of(user: User) -> QuerySet[Queue]:
    return Queue.objects.filter(pk__in=QueueMember.objects.filter(user=user).values("queue_id")).order_by("name")


def defaults_by_queue(rules: list[NotificationRule], band: str) -> dict[str, list[Step]]:
    by_queue: dict[str, list[Step]] = {}
    for rule in rules:
        if rule.band == band:
            by_queue.setdefault(rule.queue.name if rule.queue else "", []).append((rule.delay, rule.medium))
    return by_queue


def steps_of(rules: list[NotificationRule], band: str) -> list[Step]:
    return sorted(((r.delay, r.medium) for r in rules if r.band == band), key=lambda s: (s[0], LOUDNESS[Medium(s[1])]))


def page_plan(*, user: User, queue_id: int, band: str) -> Plan:
    """How to page this person about a ticket of this queue and band, in one query: their own rules if they tighten
    the queue's default, else both together (the default changed since they set theirs); the team default for
    people without rules; email at once when the team has none either."""
    rules = list(
        NotificationRule.objects.filter(Q(user=user) | Q(queue_id=queue_id), band=band).select_related("queue")
    )
    mine = steps_of([r for r in rules if r.user_id == user.pk], band)
    team = steps_of([r for r in rules if r.queue_id == queue_id], band)
    queue = next((r.queue.name for r in rules if r.queue is not None), "")
    label = Band(band).label
    if mine and loosened(mine, team) is None:
        return Plan(f"{user.display_name}'s rules for {label}", mine)
    if mine:
        merged = sorted(set(mine) | set(team), key=lambda s: (s[0], LOUDNESS[Medium(s[1])]))
        return Plan(f"{user.display_name}'s rules and the {queue} default", merged)
    if team:
        return Plan(f"the {queue} default for {label}", team)
    return Plan("the fallback (no rules set)", FALLBACK)
