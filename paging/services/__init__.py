"""Paging's writes: contact methods, rules, the page engine and the one-tap links."""

from .contacts import (
    contact_method_code_resend,
    contact_method_delete,
    contact_method_set,
    contact_method_slack_set,
    contact_method_verify,
    phone_display,
    phone_parse,
    slack_member_parse,
)
from .pages import (
    page_acknowledge,
    page_delivery_failed,
    page_link_check,
    page_link_use,
    page_start,
    page_step,
    pages_stop,
    pages_sweep,
)
from .rules import rule_add, rule_remove, rules_reset, team_rule_add

__all__ = [
    "contact_method_code_resend",
    "contact_method_delete",
    "contact_method_set",
    "contact_method_slack_set",
    "contact_method_verify",
    "page_acknowledge",
    "page_delivery_failed",
    "page_link_check",
    "page_link_use",
    "page_start",
    "page_step",
    "pages_stop",
    "pages_sweep",
    "phone_display",
    "phone_parse",
    "rule_add",
    "rule_remove",
    "rules_reset",
    "slack_member_parse",
    "team_rule_add",
]
