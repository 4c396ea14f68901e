"""How fast and to whom: SLA policies on business-hour calendars, breach detection, escalation policies that step
up a chain until someone acknowledges, on-call rotations, and the severity rules that start them.

Its own app because the core (tickets) must stay free of these policies, and they are not about AWS.
"""
