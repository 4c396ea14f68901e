"""Reads: which SLA policy applies (who is on call: oncall.selectors)."""

from django.core.cache import cache

from .models import SlaPolicy

_POLICIES_KEY = "escalation:sla-policies:v1"


def _sla_policies() -> dict[tuple[int, int | None], SlaPolicy]:
    """Every policy with its calendar's hours and holidays, by (severity, queue); read on each ticket created or
    moved, so cached until an admin changes a policy or a calendar."""
    policies = cache.get(_POLICIES_KEY)
    if policies is None:
        rows = SlaPolicy.objects.select_related("calendar", "escalation_policy").prefetch_related(
            "calendar__hours", "calendar__holidays"
        )
        policies = {(p.severity_id, p.queue_id): p for p in rows}
        cache.set(_POLICIES_KEY, policies, timeout=3600)
    return policies


def sla_policies_forget() -> None:
    cache.delete(_POLICIES_KEY)


def sla_policy_for(*, severity_id: int, queue_id: int) -> SlaPolicy | None:
    """The queue's own policy for the severity, else the one for any queue, else none (the severity's 24x7)."""
    policies = _sla_policies()
    return policies.get((severity_id, queue_id)) or policies.get((severity_id, None))
