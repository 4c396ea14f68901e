from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs and dashboards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from supportdesk import sql  # noqa: F401  (gives SQLite connections the functions the KPI SQL calls)

        from . import signals  # noqa: F401  (connects the receivers)
