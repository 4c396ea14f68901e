"""The Celery app: configured from Django settings (CELERY_*), tasks found in every app; its logs and the request
ids its tasks carry wired here."""

import logging
import logging.config
import os
from typing import Any

from celery import Celery, signals
from celery.worker.consumer import Consumer
from celery.worker.consumer.delayed_delivery import DelayedDelivery
from django.conf import settings

from . import requestid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings.base")

app = Celery("supportdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class ReconnectingConsumer(Consumer):
    """A worker's consumer without Gossip and Mingle (``--without-gossip --without-mingle``, however the worker is
    started): worker-to-worker chatter we do not use, whose restart after a Redis reconnect failed on the closed
    connection (AttributeError: 'NoneType' object has no attribute 'hostname', celery/kombu#582)."""

    class Blueprint(Consumer.Blueprint):  # type: ignore[misc,valid-type]  # a class; celery-types says a variable
        default_steps = [
            "supportdesk.celery:EveryQueueDelayedDelivery" if s.endswith(":DelayedDelivery") else s
            for s in Consumer.Blueprint.default_steps
            if not s.endswith((":Gossip", ":Mingle"))
        ]


class EveryQueueDelayedDelivery(DelayedDelivery):
    """Native delayed delivery (RabbitMQ quorum queues only) binds every queue of the app to its delivery exchange,
    not only the queues this worker consumes: a worker started for two of them (``-Q notifications,sweeps``) found
    the other queues' exchanges missing and turned delayed delivery off. So every queue is declared first (durable,
    idempotent), and all six exist on the broker from the first worker's start."""

    def start(self, c: Consumer) -> None:
        with c.app.connection_for_write() as connection:
            for queue in c.app.amqp.queues.values():
                queue.bind(connection.default_channel).declare()
        super().start(c)


@signals.setup_logging.connect
def logging_from_settings(loglevel: int | str | None = None, **_: Any) -> None:
    """Workers and beat log as the web does (settings.LOGGING: the format, secrets redacted, request ids), not in
    Celery's own format, which would drop the JSON and the filters; the --loglevel given decides the level."""
    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


# The request id a request (or a task) had goes with each task it queues, and is bound while that task runs
signals.before_task_publish.connect(requestid.headers_stamp, weak=False)
signals.task_prerun.connect(requestid.task_bind, weak=False)
signals.task_postrun.connect(requestid.task_unbind, weak=False)
