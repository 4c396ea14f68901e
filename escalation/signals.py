"""Reacting to tickets. Receivers on Ticket's post_save, inside the transaction of the service that saved it.

Not on its timeline events: a change of severity is recorded before ticket_update applies the severity's 24x7 due
times and saves, so due times set on the event would be overwritten. post_save comes after that save, and
`update_fields` says what changed: every ticket service saves with it.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.access_cache import forget_now_and_after_commit
from tickets.models import Ticket
from tickets.signals import tickets_filed

from . import selectors, services
from .models import BusinessCalendar, Holiday, SlaPolicy, WorkingHours

_MOVES_DUE_TIMES = frozenset({"severity", "queue"})
_STOPS_CLOCKS = frozenset({"status", "acknowledged_at"})


@receiver(post_save, sender=Ticket, dispatch_uid="escalation.ticket_saved")
def ticket_saved(sender, instance: Ticket, created: bool, update_fields: frozenset[str] | None, **kwargs) -> None:
    changed = _MOVES_DUE_TIMES | _STOPS_CLOCKS if update_fields is None else update_fields  # a full save: anything
    if created or changed & _MOVES_DUE_TIMES:
        services.sla_apply(ticket=instance, created=created)
    if created or not changed & _STOPS_CLOCKS:
        return
    services.sla_rearm(ticket=instance)
    if not instance.is_open:
        services.escalation_stop(ticket=instance, reason=f"{instance.get_status_display()}.")
    elif "acknowledged_at" in changed and instance.acknowledged_at is not None:
        services.escalation_stop(ticket=instance, reason="Acknowledged.")


@receiver(tickets_filed, dispatch_uid="escalation.tickets_filed")
def tickets_started(sender, tickets: list[Ticket], **kwargs) -> None:
    services.sla_start(tickets=tickets)


@receiver([post_save, post_delete], sender=SlaPolicy, dispatch_uid="escalation.sla_policy_changed")
@receiver([post_save, post_delete], sender=BusinessCalendar, dispatch_uid="escalation.calendar_changed")
@receiver([post_save, post_delete], sender=WorkingHours, dispatch_uid="escalation.hours_changed")
@receiver([post_save, post_delete], sender=Holiday, dispatch_uid="escalation.holiday_changed")
def sla_policy_changed(sender, **kwargs) -> None:
    forget_now_and_after_commit(selectors.sla_policies_forget)
