"""The Celery app: configured from Django settings (CELERY_*), tasks found in every app."""

import os

from celery import Celery
from celery.worker.consumer import Consumer

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
