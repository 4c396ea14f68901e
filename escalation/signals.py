"""Cached SLA policies are forgotten when an admin changes them. (Ticket changes reach escalation through its
reaction, escalation/reactions.py, not through signals.)"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.access_cache import forget_now_and_after_commit

from . import selectors
from .models import BusinessCalendar, Holiday, SlaPolicy, WorkingHours


@receiver([post_save, post_delete], sender=SlaPolicy, dispatch_uid="escalation.sla_policy_changed")
@receiver([post_save, post_delete], sender=BusinessCalendar, dispatch_uid="escalation.calendar_changed")
@receiver([post_save, post_delete], sender=WorkingHours, dispatch_uid="escalation.hours_changed")
@receiver([post_save, post_delete], sender=Holiday, dispatch_uid="escalation.holiday_changed")
def sla_policy_changed(sender, **kwargs) -> None:
    forget_now_and_after_commit(selectors.sla_policies_forget)
