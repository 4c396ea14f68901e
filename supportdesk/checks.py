"""`manage.py check --deploy`: what would stay behind in one process or on one host when the portal runs on several
(docs/operations.md#scaling-out). Warnings, not errors: a single-host install may choose them knowingly."""

from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.caches, deploy=True)
def per_process_state(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    if isinstance(caches["default"], LocMemCache | DummyCache):
        found.append(
            Warning(
                "The cache is in each process's memory: sign-in limits count per process, and a change to rules, "
                "escalation policies or severities reaches the other processes only when their copy expires.",
                hint="Set CACHE_URL to a Redis every web and worker process shares.",
                id="supportdesk.W001",
            )
        )
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        found.append(
            Warning(
                "Tasks are queued in a folder of this host: workers on other hosts never see them.",
                hint="Set CELERY_BROKER_URL to Redis (redis://) or RabbitMQ (amqp://).",
                id="supportdesk.W002",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        found.append(
            Warning(
                "The database is a SQLite file of this host (and its poll locks are file locks of this host).",
                hint="Set DATABASE_URL to PostgreSQL.",
                id="supportdesk.W003",
            )
        )
    return found
