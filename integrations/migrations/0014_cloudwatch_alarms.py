"""CloudWatch alarms pushed through SNS or EventBridge, and the admin's mapping of alarms to severities."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0013_sns_message_inbox'),
        ('tickets', '0011_saved_views_and_canned_replies'),
    ]

    operations = [
        migrations.CreateModel(
            name='Alarm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('region', models.CharField(max_length=30)),
                ('name', models.CharField(max_length=255)),
                ('arn', models.CharField(blank=True, max_length=1600, verbose_name='alarm ARN')),
                ('description', models.CharField(blank=True, max_length=1024)),
                ('state', models.CharField(choices=[('ALARM', 'In alarm'), ('OK', 'OK'), ('INSUFFICIENT_DATA', 'Insufficient data')], max_length=20)),
                ('reason', models.CharField(blank=True, max_length=1023)),
                ('state_changed_at', models.DateTimeField()),
                ('metric', models.JSONField(blank=True, default=dict, help_text='What the alarm watches, as AWS last said.')),
                ('rule', models.TextField(blank=True, help_text="A composite alarm's rule.")),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alarms', to='integrations.awsaccount')),
                ('ticket', models.OneToOneField(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='alarm', to='tickets.ticket')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('account', 'region', 'name'), name='alarm_unique')],
            },
        ),
        migrations.CreateModel(
            name='AlarmSeverity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name_prefix', models.CharField(blank=True, help_text='Matches alarm names starting with this.', max_length=255)),
                ('tag_key', models.CharField(blank=True, max_length=128)),
                ('tag_value', models.CharField(blank=True, help_text='Tags reach Supportdesk only through EventBridge (docs/admin-guide.md).', max_length=256)),
                ('position', models.PositiveSmallIntegerField(default=0, help_text='Lower is tried first.')),
                ('severity', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tickets.severity')),
            ],
            options={
                'verbose_name': 'alarm severity',
                'verbose_name_plural': 'alarm severities',
                'ordering': ['position', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('name_prefix', ''), models.Q(('tag_key', ''), _negated=True)), models.Q(models.Q(('name_prefix', ''), _negated=True), ('tag_key', ''), ('tag_value', '')), _connector='OR'), name='alarm_severity_prefix_or_tag')],
            },
        ),
    ]
