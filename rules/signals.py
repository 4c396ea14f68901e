from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.access_cache import forget_now_and_after_commit
from escalation.models import EscalationPolicy, EscalationStep
from notifications.models import Channel
from tickets.models import Severity, Ticket, TicketEvent

from .models import Rule
from .services import rules_apply, rules_forget

E = TicketEvent.Kind
# What counts as a change for rules: what the ticket is about, not conversation or workflow
_CHANGES = frozenset({E.FIELD_CHANGED, E.AWS_UPDATED})
# AWS tickets are linked to their finding or event only after they are created: ingestion applies the rules then
_LINKED_LATER = frozenset({Ticket.Kind.AWS_FINDING, Ticket.Kind.AWS_HEALTH})


@receiver(post_save, sender=TicketEvent, dispatch_uid="rules.ticket_event")
def ticket_event_recorded(sender, instance: TicketEvent, created: bool, **kwargs) -> None:
    if not created:
        return
    if instance.kind == E.CREATED and instance.ticket.kind not in _LINKED_LATER:
        rules_apply(ticket=instance.ticket, trigger=Rule.Trigger.CREATED)
    elif instance.kind in _CHANGES:
        rules_apply(ticket=instance.ticket, trigger=Rule.Trigger.CHANGED)


@receiver([post_save, post_delete], sender=Rule, dispatch_uid="rules.rule_changed")
# Cached rules carry their severities, channels and escalation steps: those changing must be seen at once
@receiver([post_save, post_delete], sender=Severity, dispatch_uid="rules.severity_changed")
@receiver([post_save, post_delete], sender=Channel, dispatch_uid="rules.channel_changed")
@receiver([post_save, post_delete], sender=EscalationPolicy, dispatch_uid="rules.policy_changed")
@receiver([post_save, post_delete], sender=EscalationStep, dispatch_uid="rules.step_changed")
@receiver(m2m_changed, sender=Rule.add_watchers.through, dispatch_uid="rules.rule_watchers_changed")
@receiver(m2m_changed, sender=Rule.notify_channels.through, dispatch_uid="rules.rule_channels_changed")
def rule_changed(sender, **kwargs) -> None:
    forget_now_and_after_commit(rules_forget)
