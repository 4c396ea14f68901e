"""Reads: which SLA policy applies, who is on call, who manages a queue."""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from tickets.models import Queue

from .models import OnCallMember, OnCallOverride, OnCallRotation, SlaPolicy

if TYPE_CHECKING:
    from accounts.models import User

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


def rotations_with_shifts(rotations: QuerySet[OnCallRotation], *, now: datetime) -> QuerySet[OnCallRotation]:
    """Rotations with their members and the overrides not over by `now`: two more queries however many."""
    return rotations.prefetch_related(
        Prefetch("members", queryset=OnCallMember.objects.select_related("user")),
        Prefetch("overrides", queryset=OnCallOverride.objects.filter(ends_at__gt=now).select_related("user")),
    )


def oncall_for(*, queue: Queue, at: datetime) -> "User | None":
    """The person on call for the queue at a moment, or None (no rotation, nobody in it, not started yet)."""
    rotation = rotations_with_shifts(OnCallRotation.objects.filter(queue_id=queue.pk), now=at).first()
    return rotation.on_call_at(at) if rotation else None


@dataclass(frozen=True)
class OnCallRow:
    queue: Queue
    has_rotation: bool
    current: "User | None"
    next_person: "User | None"
    next_at: datetime | None


def oncall_board(*, now: datetime) -> list[OnCallRow]:
    """Every queue with who is on call now and who takes over next: a constant number of queries."""
    rows = []
    rotations = Prefetch("oncall_rotation", queryset=rotations_with_shifts(OnCallRotation.objects.all(), now=now))
    for queue in Queue.objects.order_by("name").prefetch_related(rotations):
        rotation = getattr(queue, "oncall_rotation", None)
        handover = rotation.handover_after(now) if rotation else None
        rows.append(
            OnCallRow(
                queue=queue,
                has_rotation=rotation is not None,
                current=rotation.on_call_at(now) if rotation else None,
                next_person=handover[0] if handover else None,
                next_at=handover[1] if handover else None,
            )
        )
    return rows
