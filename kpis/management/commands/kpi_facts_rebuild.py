from django.core.management.base import BaseCommand, CommandError

from kpis import services
from kpis.engine import NEEDS_POSTGRESQL, kpi_engine_available


class Command(BaseCommand):
    help = "Rebuild every ticket's KPI facts from the timeline (set-based SQL); the refresh task continues from here."

    def handle(self, *args, **options) -> None:
        if not kpi_engine_available():
            raise CommandError(NEEDS_POSTGRESQL)
        rows = services.facts_rebuild()
        self.stdout.write(f"{rows:,} tickets' facts rebuilt.")
