"""Applying rules: one query tests every rule against the ticket, then the matching ones act, in order.

The rules' reaction (rules/reactions.py) calls these with a ``record``: what the rules change through the ticket
services is recorded there, not dispatched, so it reaches the later reactions and never the rules again."""

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from escalation.models import TicketEscalation
from escalation.services import escalation_start
from integrations.cases.tasks import support_case_open_automatically_task
from notifications.services import notify
from supportdesk.commit import after_commit_robust
from tickets import services as ticket_services
from tickets import timeline
from tickets.models import Ticket, Watch
from tickets.reactions import Changes, dispatch

from .conditions import rule_matches, rule_q, ticket_facts
from .models import Rule
from .quiet import notices_hold

_CACHE_KEY = "rules:enabled:v1"
REACTION = "rules.reactions.rules_react"  # its entry in settings.TICKET_REACTIONS


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


def rules_apply(*, ticket: Ticket, trigger: str, record: Changes | None = None) -> list[str]:
    """Apply the rules for ``trigger`` ("created" or "changed") to the ticket; returns what they did. Their changes
    go into ``record`` (not to the reactions) when given, else to the reactions after the rules'."""
    rules = [r for r in rules_enabled() if trigger == Rule.Trigger.CREATED or r.trigger == Rule.Trigger.CHANGED]
    matched = rules_matching(Ticket.objects.filter(pk=ticket.pk), rules).get(ticket.pk, [])
    return _rules_act(ticket, matched, record) if matched else []


def rules_apply_created(*, tickets: list[Ticket], record: Changes | None = None) -> None:
    """``rules_apply(trigger="created")`` for tickets filed together: their facts in four queries for them all."""
    if not tickets:
        return
    by_pk = {ticket.pk: ticket for ticket in tickets}
    for pk, matched in rules_matching(Ticket.objects.filter(pk__in=by_pk), rules_enabled()).items():
        if matched:
            _rules_act(by_pk[pk], matched, record)


@transaction.atomic
def _rules_act(ticket: Ticket, matched: list[Rule], record: Changes | None) -> list[str]:
    if record is None:  # called on its own (the admin, a test): what the rules change goes to the later reactions
        own = Changes()
        acted = _rules_act(ticket, matched, own)
        dispatch(own, after=REACTION)
        return acted
    done: list[str] = []
    for rule in matched:
        actions = _act(rule, Ticket.objects.select_related("severity", "queue").get(pk=ticket.pk), record)
        if actions:
            record.event(timeline.rule_applied(ticket=ticket, rule=rule.name, actions=actions))
            done += actions
        if rule.stop_after:
            break
    return done


def _act(rule: Rule, ticket: Ticket, record: Changes) -> list[str]:
    """The rule's actions that change something; setting what is already so does nothing and says nothing."""
    actions = []
    # First: what this rule's own actions tell (a channel, an escalation's people) is held too
    if rule.hold_notifications and (hold := notices_hold(ticket=ticket, rule=rule)):
        actions.append(
            f"Notifications held until {timezone.localtime(hold.until):%-d %b %H:%M} (maintenance "
            f"“{hold.window.label}”)"
        )
    severity = rule.set_severity if rule.set_severity_id and rule.set_severity_id != ticket.severity_id else None
    if severity is not None:
        actions.append(f"Severity set to {severity.name}")
    queue = rule.set_queue if rule.set_queue_id and rule.set_queue_id != ticket.queue_id else None
    if queue is not None:
        actions.append(f"Routed to {queue.name}")
    if severity is not None or queue is not None:
        ticket_services.ticket_update(ticket=ticket, actor=None, severity=severity, queue=queue, record=record)
    watching = set(Watch.objects.filter(ticket=ticket).values_list("user_id", flat=True))
    for user in rule.add_watchers.all():
        if user.pk not in watching:
            ticket_services.watcher_set(ticket=ticket, actor=None, user=user, watching=True, record=record)
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
        after_commit_robust(
            support_case_open_automatically_task.delay, ticket.pk, rule.aws_case_severity, f"Rule “{rule.name}”"
        )  # AWS is called after the commit
        actions.append(f"AWS Support case requested (up to {rule.get_aws_case_severity_display().lower()})")
    return actions
