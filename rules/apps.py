from django.apps import AppConfig


class RulesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rules"

    def ready(self) -> None:
        from notifications.services import NOTICE_HOLDS

        from . import signals  # noqa: F401  (connects the receivers)
        from .quiet import notice_held

        NOTICE_HOLDS.append(notice_held)
