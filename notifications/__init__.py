"""Telling people: an outbox of notifications delivered by SNS, email and signed webhooks, retried until sent.

Its own app because every other capability notifies (rules, SLA breaches, escalation steps, AWS cases, KPI
targets) through the same outbox, and most channels have nothing to do with AWS.
"""
