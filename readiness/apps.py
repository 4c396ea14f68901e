from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "readiness"
    verbose_name = "Readiness reviews"

    def ready(self) -> None:
        from .kpis import readiness_kpis_register

        readiness_kpis_register()  # overdue reviews and open actions are KPIs: targets, snapshots, the dashboard
