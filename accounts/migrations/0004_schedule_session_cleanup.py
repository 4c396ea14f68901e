from django.db import migrations

TASK_NAME = "Delete expired sessions"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    daily, _ = CrontabSchedule.objects.get_or_create(minute="23", hour="3", day_of_week="*", day_of_month="*",
                                                     month_of_year="*")  # fmt: skip
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME, defaults={"task": "accounts.tasks.sessions_expired_clear_task", "crontab": daily}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_login_failure"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(schedule, unschedule)]
