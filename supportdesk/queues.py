"""Celery queues by kind of work, so a flood of one kind never delays another: a thousand findings being ticketed
do not hold up a page to the on-call engineer. Workers may be started per queue (``celery worker -Q …``); `make run`'s
worker and a single-worker deployment consume them all."""

from kombu import Exchange, Queue

NOTIFICATIONS = "notifications"  # notices, pages, Slack cards: what a person waits for
SWEEPS = "sweeps"  # SLA warnings and breaches, escalation steps, the re-queueing sweeps
INGESTION = "ingestion"  # pushed events (EventBridge through SNS) turned into tickets
POLLING = "polling"  # Trusted Advisor, Health, Support cases and Organizations, per AWS account
KPIS = "kpis"  # ticket facts, rollups and snapshots
DEFAULT = "celery"  # everything else (housekeeping)

QUEUES = (NOTIFICATIONS, SWEEPS, INGESTION, POLLING, KPIS, DEFAULT)


def declared(*, exchange_type: str, quorum: bool) -> tuple[Queue, ...]:
    """Every queue, durable, on an exchange of its own name and type, routed by its name (as create_missing_queues
    would make it). On RabbitMQ the exchanges are topic ones: Celery's native delayed delivery (countdowns and
    retries on quorum queues, Celery 5.5+) routes a due message back through the queue's exchange and cannot through
    a direct one. Quorum queues when asked: replicated on a cluster, and countdowns wait in the broker instead of in
    a worker's memory."""
    arguments = {"x-queue-type": "quorum"} if quorum else None
    return tuple(
        Queue(name, Exchange(name, type=exchange_type), routing_key=name, durable=True, queue_arguments=arguments)
        for name in QUEUES
    )
