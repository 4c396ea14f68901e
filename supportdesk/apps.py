"""The project itself as an app: the composition root's start-up wiring (nothing here has models)."""

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class SupportdeskConfig(AppConfig):
    name = "supportdesk"
    verbose_name = "Supportdesk"

    def ready(self) -> None:
        from . import checks  # noqa: F401  registers the deploy checks
        from .schedule import schedule_sync_after_migrate

        # Once per migrate, after django-celery-beat's own post_migrate (its tables exist by then)
        post_migrate.connect(
            schedule_sync_after_migrate,
            sender=apps.get_app_config("django_celery_beat"),
            dispatch_uid="supportdesk.schedule_sync",
        )
