"""Applying rules: one query tests every rule against the ticket, then the matching ones act, in order."""

from contextvars import ContextVar

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from escalation.models import TicketEscalation
from escalation.services import escalation_start
from notifications.receivers import ticket_created_retell
from notifications.services import notify
from supportdesk.commit import after_commit_robust
from tickets import services as ticket_services
from tickets import timeline
from tickets.models import Ticket, Watch

from .conditions import rule_matches, rule_q, ticket_facts
from .models import Rule
from .quiet import notices_hold

_CACHE_KEY = "rules:enabled:v1"
# Rules act through the ticket services, whose changes would trigger the rules again: they do not nest.
_applying: ContextVar[bool] = ContextVar("rules_applying", default=False)


def rules_enabled() -> list[Rule]:
    """Every enabled rule in order, with what its actions need; cached until an admin changes a rule."""
    rules = cache.get(_CACHE_KEY)
    if rules is None:
        rules = list(
            Rule.objects.filter(enabled=True)
            .select_related("min_severity", "set_severity", "set_queue", "start_escalation")
            .prefetch_related("add_watchers", "notify_channels", "start_escalation__steps")
        )
        cache.set(_CACHE_KEY, rules, timeout=3600)
    return rules


def rules_forget() -> None:
    cache.delete(_CACHE_KEY)


def rules_matching(tickets: QuerySet[Ticket], rules: list[Rule]) -> dict[int, list[Rule]]:
    """For each ticket of a queryset, the rules it matches, in order: four queries however many rules."""
    if not rules:
        return {}
    return {pk: [r for r in rules if rule_matches(r, facts)] for pk, facts in ticket_facts(tickets).items()}


def rule_match_count(rule: Rule) -> tuple[int, int]:
    """How many tickets, and how many open ones, the rule's conditions match now (the admin's test)."""
    matched = Ticket.objects.filter(rule_q(rule))
    return matched.count(), matched.filter(status__in=Ticket.OPEN_STATUSES).count()


def rules_apply(*, ticket: Ticket, trigger: str) -> list[str]:
    """Apply the rules for ``trigger`` ("created" or "changed") to the ticket; returns what they did."""
    if _applying.get():
        return []
    rules = [r for r in rules_enabled() if trigger == Rule.Trigger.CREATED or r.trigger == Rule.Trigger.CHANGED]
    matched = rules_matching(Ticket.objects.filter(pk=ticket.pk), rules).get(ticket.pk, [])
    return _rules_act(ticket, matched, trigger) if matched else []


def rules_apply_created(*, tickets: list[Ticket]) -> None:
    """``rules_apply(trigger="created")`` for tickets filed together: their facts in four queries for them all."""
    if _applying.get() or not tickets:
        return
    by_pk = {ticket.pk: ticket for ticket in tickets}
    for pk, matched in rules_matching(Ticket.objects.filter(pk__in=by_pk), rules_enabled()).items():
        if matched:
            _rules_act(by_pk[pk], matched, Rule.Trigger.CREATED)


@transaction.atomic
def _rules_act(ticket: Ticket, matched: list[Rule], trigger: str) -> list[str]:
    token = _applying.set(True)
    done: list[str] = []
    try:
        for rule in matched:
            actions = _act(rule, Ticket.objects.select_related("severity", "queue").get(pk=ticket.pk))
            if actions:
                timeline.rule_applied(ticket=ticket, rule=rule.name, actions=actions)
                done += actions
            if rule.stop_after:
                break
        if done and trigger == Rule.Trigger.CREATED:
            # The creation notice was written before the rules ran (by notifications' receiver, or before an AWS
            # ticket was linked): told again with the severity, queue and hold they left
            as_left = Ticket.objects.select_related("severity", "queue", "assignee").get(pk=ticket.pk)
            ticket_created_retell(ticket=as_left)
    finally:
        _applying.reset(token)
    return done


def _act(rule: Rule, ticket: Ticket) -> list[str]:
    """The rule's actions that change something; setting what is already so does nothing and says nothing."""
    actions = []
    # First: what this rule's own actions tell (a channel, an escalation's people) is held too
    if rule.hold_notifications and (hold := notices_hold(ticket=ticket, rule=rule)):
        actions.append(f"Notifications held until {timezone.localtime(hold.until):%-d %b %H:%M} (maintenance "
                       f"“{hold.window.label}”)")  # fmt: skip
    severity = rule.set_severity if rule.set_severity_id and rule.set_severity_id != ticket.severity_id else None
    if severity is not None:
        actions.append(f"Severity set to {severity.name}")
    queue = rule.set_queue if rule.set_queue_id and rule.set_queue_id != ticket.queue_id else None
    if queue is not None:
        actions.append(f"Routed to {queue.name}")
    if severity is not None or queue is not None:
        ticket_services.ticket_update(ticket=ticket, actor=None, severity=severity, queue=queue)
    watching = set(Watch.objects.filter(ticket=ticket).values_list("user_id", flat=True))
    for user in rule.add_watchers.all():
        if user.pk not in watching:
            ticket_services.watcher_set(ticket=ticket, actor=None, user=user, watching=True)
            actions.append(f"{user.display_name} added as a watcher")
    channels = list(rule.notify_channels.all())
    key = f"rule:{rule.pk}:ticket:{ticket.pk}"
    if channels and notify(ticket=ticket, reason=f"Rule “{rule.name}” matched", key=key, channels=channels):
        actions.append(f"Notified {', '.join(c.name for c in channels)}")
    # A rule starts a policy once per ticket: re-running it on each change would restart a chain that an
    # acknowledgement stopped, and nobody could stop it again
    if rule.start_escalation_id and not TicketEscalation.objects.filter(ticket=ticket).exists():
        now, policy = timezone.now(), rule.start_escalation
        assert policy is not None  # start_escalation_id is set
        run = escalation_start(ticket=ticket, policy=policy, reason=f"Rule “{rule.name}”", now=now)
        if run is not None and run.started_at == now:  # not one already running
            actions.append(f"Escalation policy “{policy.name}” started")
    if rule.aws_case_severity:
        from integrations.tasks import support_case_open_automatically_task  # integrations imports this module

        after_commit_robust(
            support_case_open_automatically_task.delay, ticket.pk, rule.aws_case_severity, f"Rule “{rule.name}”"
        )  # AWS is called after the commit; fmt: skip
        actions.append(f"AWS Support case requested (up to {rule.get_aws_case_severity_display().lower()})")
    return actions
