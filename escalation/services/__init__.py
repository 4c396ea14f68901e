"""Writes for SLA clocks and escalation chains; other apps call these names."""

from .chains import escalation_start, escalation_step, escalation_stop, escalations_sweep
from .sla import sla_apply, sla_follow_status, sla_rearm, sla_start, sla_sweep, sla_update_posted

__all__ = [
    "escalation_start",
    "escalation_step",
    "escalation_stop",
    "escalations_sweep",
    "sla_apply",
    "sla_follow_status",
    "sla_rearm",
    "sla_start",
    "sla_sweep",
    "sla_update_posted",
]
