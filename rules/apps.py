from django.apps import AppConfig


class RulesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rules"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers that forget cached rules)
