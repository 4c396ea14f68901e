from django.db import migrations

CATEGORIES = [
    ("cost_optimizing", "Cost optimisation", False),
    ("security", "Security", False),
    ("fault_tolerance", "Fault tolerance", False),
    ("performance", "Performance", False),
    ("service_limits", "Service limits", False),
    ("operational_excellence", "Operational excellence", False),
]
SCHEDULES = [  # name, task, minutes between runs
    ("Poll Trusted Advisor", "integrations.tasks.trusted_advisor_poll_all_task", 30),
    ("Poll AWS Health", "integrations.tasks.health_poll_all_task", 5),
    ("Discover organisation member accounts", "integrations.tasks.organization_discover_all_task", 60),
]


def seed(apps, schema_editor):
    Category = apps.get_model("integrations", "TrustedAdvisorCategory")
    for code, name, per_resource in CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name, "ticket_per_resource": per_resource})
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes in SCHEDULES:
        every, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": every})


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()
    apps.get_model("integrations", "TrustedAdvisorCategory").objects.filter(code__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("integrations", "0004_findings_health_push"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(seed, unseed)]
