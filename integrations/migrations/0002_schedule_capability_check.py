"""Kept for history: this migration made the periodic task(s) Check what AWS allows in each account.
supportdesk/schedule.py now holds the whole schedule and `migrate` syncs it (post_migrate), so this does nothing; it
stays so that databases which ran it keep a consistent migration graph."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
