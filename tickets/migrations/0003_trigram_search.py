"""Trigram indexes so text search stays fast over a million tickets (PostgreSQL only; SQLite scans)."""

from django.db import migrations

INDEXES = {
    "ticket_title_trgm": "tickets_ticket USING gin (title gin_trgm_ops)",
    "ticket_description_trgm": "tickets_ticket USING gin (description gin_trgm_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, spec in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {spec}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_seed_severities_and_default_queue")]
    operations = [migrations.RunPython(create, drop)]
