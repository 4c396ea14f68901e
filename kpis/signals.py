from django.db.models.signals import post_delete
from django.dispatch import receiver

from . import services
from .models import TicketFact


@receiver(post_delete, sender=TicketFact, dispatch_uid="kpis.fact_deleted")
def fact_deleted(sender, instance: TicketFact, **kwargs) -> None:
    """A deleted ticket's facts go with it; the days it was counted on are recounted in the same transaction, so
    the figures never count a ticket the drill-down cannot show."""
    days = sorted({day for day in (instance.created_day, instance.resolved_day) if day is not None})
    if days:
        services.rollup_days_recount(days=days)
