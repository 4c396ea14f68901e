"""Kept for history: this migration made the periodic task(s) Delete expired sessions.
supportdesk/schedule.py now holds the whole schedule and `migrate` syncs it (post_migrate), so this does nothing; it
stays so that databases which ran it keep a consistent migration graph."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_login_failure"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
