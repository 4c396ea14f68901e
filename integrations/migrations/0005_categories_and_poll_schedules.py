from django.db import migrations

CATEGORIES = [
    ("cost_optimizing", "Cost optimisation", False),
    ("security", "Security", False),
    ("fault_tolerance", "Fault tolerance", False),
    ("performance", "Performance", False),
    ("service_limits", "Service limits", False),
    ("operational_excellence", "Operational excellence", False),
]
# The poll schedules this migration made once ("Poll Trusted Advisor", "Poll AWS Health", "Discover organisation
# member accounts") live in supportdesk/schedule.py now, synced by `migrate`; the categories stay here.


def seed(apps, schema_editor):
    Category = apps.get_model("integrations", "TrustedAdvisorCategory")
    for code, name, per_resource in CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name, "ticket_per_resource": per_resource})


def unseed(apps, schema_editor):
    apps.get_model("integrations", "TrustedAdvisorCategory").objects.filter(code__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("integrations", "0004_findings_health_push"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(seed, unseed)]
