"""How our Celery queues are declared on RabbitMQ (settings use it when CELERY_BROKER_URL is amqp://).

Durable queues, each bound to a durable topic exchange of its name: Celery's native delayed delivery (countdowns and
retries on quorum queues, Celery 5.5+) routes a due message back through the queue's exchange and cannot through a
direct one. Quorum queues when asked: replicated on a cluster, and the countdowns wait in the broker instead of
in a worker's memory."""

from kombu import Exchange, Queue

from .queues import QUEUES


def task_queues(*, quorum: bool) -> tuple[Queue, ...]:
    arguments = {"x-queue-type": "quorum"} if quorum else None
    return tuple(
        Queue(name, Exchange(name, type="topic"), routing_key=name, durable=True, queue_arguments=arguments)
        for name in QUEUES
    )
