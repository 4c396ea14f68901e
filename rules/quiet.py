"""Quiet rules: a ticket raised during maintenance may have its notices held until the window ends."""

from django.utils import timezone

from integrations.maintenance.selectors import OPEN_ENDED, ticket_window
from integrations.models import HealthEvent
from tickets.models import Ticket

from .models import NotificationHold, Rule


def notices_hold(*, ticket: Ticket, rule: Rule) -> NotificationHold | None:
    """Hold the ticket's notices until the window it was raised during ends; None when that window is over already,
    or the ticket's notices are held already."""
    window = ticket_window(ticket=ticket, event=HealthEvent.objects.filter(ticket_id=ticket.pk).first())
    if window is None:
        return None
    until = window.ends_at or window.starts_at + OPEN_ENDED
    if until <= timezone.now():
        return None
    hold, created = NotificationHold.objects.get_or_create(
        ticket=ticket, defaults={"window": window, "rule": rule, "until": until}
    )
    return hold if created else None


def notice_held(*, ticket: Ticket, key: str) -> str | None:
    """notifications' hold check: why the notice is held (once per key), "" when noted already, None when it is not."""
    from .services import rules_enabled  # services import notifications, which import this at start-up

    if not any(rule.hold_notifications for rule in rules_enabled()):
        return None  # nothing holds notices (or the rule that did was disabled): no query on every notice
    now = timezone.now()
    hold = NotificationHold.objects.filter(ticket_id=ticket.pk, until__gt=now).select_related("window").first()
    if hold is None:
        return None
    if key in hold.held_keys:
        return ""
    NotificationHold.objects.filter(pk=hold.pk).update(held_keys=[*hold.held_keys, key])
    until = timezone.localtime(hold.until)
    return f"Held: raised during maintenance “{hold.window.label}”, until {until:%-d %b %H:%M}."
