"""How a duration KPI reads: minutes while short, then hours, then days (250 minutes is "4.2 h")."""

from decimal import Decimal

from django import template

register = template.Library()

_STEPS = [(Decimal(60 * 24), "d"), (Decimal(60), "h"), (Decimal(1), "min")]


@register.filter
def duration(value, unit: str) -> str:
    """``value`` in ``unit`` ("minutes" or "hours"), in the largest unit that keeps it at two or more."""
    minutes = Decimal(str(value)) * (60 if unit == "hours" else 1)
    for size, name in _STEPS:
        if abs(minutes) >= 2 * size or size == 1:
            return f"{minutes / size:,.1f} {name}"
    return ""  # pragma: no cover
