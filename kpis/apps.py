from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs and dashboards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals, sql  # noqa: F401  (connects the receivers)
