from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import database, worker

        # Every connection of every process (web, worker, beat), whoever opens it
        connection_created.connect(database.queries_counted, dispatch_uid="observability.queries_counted")
        worker.signals_connect()
