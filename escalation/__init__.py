"""How fast and to whom: SLA policies on business-hour calendars, breach detection, escalation policies that step
up a chain until someone acknowledges, and on-call rotations. Breaches and severity rules (rules/) start chains.

Its own app because the core (tickets) must stay free of these policies, and they are not about AWS.
"""
