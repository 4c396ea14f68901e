from datetime import timedelta

from django.db import migrations

SEVERITIES = [
    ("SEV1", "Critical", 1, "#d92d20", timedelta(minutes=15), timedelta(hours=4),
     "Production is down or data is at risk for many users; no workaround. Page on-call now."),
    ("SEV2", "High", 2, "#f04438", timedelta(minutes=30), timedelta(hours=8),
     "A major function is impaired in production, or a workaround is costly."),
    ("SEV3", "Medium", 3, "#f79009", timedelta(hours=4), timedelta(days=3),
     "A partial or non-production problem with a workaround; security or cost findings to plan."),
    ("SEV4", "Low", 4, "#2e90fa", timedelta(days=1), timedelta(days=10),
     "A minor issue, a question, or a routine service or IT request."),
    ("SEV5", "Planning", 5, "#667085", timedelta(days=3), timedelta(days=30),
     "Informational: improvements, housekeeping, advice with no deadline."),
]


def seed(apps, schema_editor):
    Severity = apps.get_model("tickets", "Severity")
    Queue = apps.get_model("tickets", "Queue")
    for name, label, rank, colour, response, resolution, description in SEVERITIES:
        Severity.objects.get_or_create(
            name=name,
            defaults=dict(label=label, rank=rank, colour=colour, response_target=response,
                          resolution_target=resolution, description=description),
        )
    Queue.objects.get_or_create(
        slug="service-desk",
        defaults=dict(name="Service desk", is_default=True, description="Everything that has no better home yet."),
    )


def unseed(apps, schema_editor):
    apps.get_model("tickets", "Severity").objects.filter(name__in=[s[0] for s in SEVERITIES], tickets=None).delete()
    apps.get_model("tickets", "Queue").objects.filter(slug="service-desk", tickets=None).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
