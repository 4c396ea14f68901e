"""The SNS message becomes an inbox: its payload, when it was ingested, and when the sweep may queue it again."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0012_schedule_overdue_polls'),
    ]

    operations = [
        migrations.AddField(
            model_name='snsmessage',
            name='ingested_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='snsmessage',
            name='next_attempt_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='snsmessage',
            name='payload',
            field=models.TextField(blank=True, editable=False),
        ),
        # Messages taken before the inbox were ingested inside their request: not pending
        migrations.RunSQL(
            "UPDATE integrations_snsmessage SET ingested_at = received_at",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name='snsmessage',
            index=models.Index(condition=models.Q(('ingested_at__isnull', True)), fields=['next_attempt_at'], name='sns_message_pending'),
        ),
    ]
