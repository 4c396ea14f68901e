"""The demo: ``manage.py seed_demo`` (the estate: people, queues, AWS accounts, tickets, rules) and
``seed_demo_history`` (ninety days of past tickets behind the dashboards), which ``make run`` calls on start.

Its own app, at the top of the layers: seeding touches every app (tickets, integrations, escalation, rules, kpis,
readiness), so no app below may hold it without importing those above it. Nothing imports demo; it has no models.
"""
