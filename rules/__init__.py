"""Severity rules: admin-written conditions and actions applied to tickets as they are created or change.

Its own app because it directs the others (it sets severity and queue through tickets, notifies, starts
escalation policies, opens AWS cases) while none of them may depend on it.
"""
