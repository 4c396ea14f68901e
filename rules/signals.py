"""Cached rules are forgotten when an admin changes them. (Ticket changes reach the rules through their reaction,
rules/reactions.py, not through signals.)"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.access_cache import forget_now_and_after_commit
from escalation.models import EscalationPolicy, EscalationStep
from notifications.models import Channel
from tickets.models import Severity

from .models import Rule
from .services import rules_forget


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
