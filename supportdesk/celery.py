"""The Celery app: configured from Django settings (CELERY_*), tasks found in every app; its logs and the request
ids its tasks carry wired here."""

import logging
import logging.config
import os
from typing import Any

from celery import Celery, signals
from celery.worker.consumer import Consumer
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
        default_steps = [s for s in Consumer.Blueprint.default_steps if not s.endswith((":Gossip", ":Mingle"))]


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
