from django.db import migrations

TASK_NAME = "Open due readiness reviews"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    daily, _ = CrontabSchedule.objects.get_or_create(minute="17", hour="6", day_of_week="*", day_of_month="*",
                                                     month_of_year="*")  # fmt: skip
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME, defaults={"task": "readiness.tasks.readiness_daily_task", "crontab": daily}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("readiness", "0002_seed_templates"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(schedule, unschedule)]
