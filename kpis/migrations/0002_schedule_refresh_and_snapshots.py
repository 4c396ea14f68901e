from django.db import migrations

REFRESH = "Fold new timeline events into the KPI facts"
SNAPSHOTS = "Snapshot yesterday's KPIs and check the KPI targets"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    daily, _ = CrontabSchedule.objects.get_or_create(minute="20", hour="0", day_of_week="*", day_of_month="*",
                                                     month_of_year="*")  # fmt: skip
    PeriodicTask.objects.get_or_create(
        name=REFRESH, defaults={"task": "kpis.tasks.facts_refresh_task", "interval": every_minute}
    )
    PeriodicTask.objects.get_or_create(name=SNAPSHOTS, defaults={"task": "kpis.tasks.kpi_snapshots_task", "crontab": daily})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[REFRESH, SNAPSHOTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("kpis", "0001_ticket_facts_targets_snapshots"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(schedule, unschedule)]
