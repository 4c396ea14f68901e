"""Celery queues by kind of work, so a flood of one kind never delays another: a thousand findings being ticketed
do not hold up a page to the on-call engineer. Workers may be started per queue (``celery worker -Q …``); `make run`'s
worker and a single-worker deployment consume them all."""

NOTIFICATIONS = "notifications"  # notices, pages, Slack cards: what a person waits for
SWEEPS = "sweeps"  # SLA warnings and breaches, escalation steps, the re-queueing sweeps
INGESTION = "ingestion"  # pushed events (EventBridge through SNS) turned into tickets
POLLING = "polling"  # Trusted Advisor, Health, Support cases and Organizations, per AWS account
KPIS = "kpis"  # ticket facts, rollups and snapshots
DEFAULT = "celery"  # everything else (housekeeping)

QUEUES = (NOTIFICATIONS, SWEEPS, INGESTION, POLLING, KPIS, DEFAULT)
