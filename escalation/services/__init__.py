"""Writes for SLA clocks and escalation chains; other apps call these names."""

from .chains import escalation_start, escalation_step, escalation_stop, escalations_sweep
from .sla import sla_apply, sla_rearm, sla_start, sla_sweep

__all__ = [
    "escalation_start",
    "escalation_step",
    "escalation_stop",
    "escalations_sweep",
    "sla_apply",
    "sla_rearm",
    "sla_start",
    "sla_sweep",
]
