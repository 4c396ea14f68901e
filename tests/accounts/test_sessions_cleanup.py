from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.tasks import sessions_expired_clear_task

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def test_expired_sessions_are_deleted_daily_and_live_ones_kept(client):
    # given: one person signed in now, and a session that expired yesterday
    client.force_login(UserFactory())
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=timezone.now() - timedelta(days=1))

    sessions_expired_clear_task()

    assert list(Session.objects.values_list("session_key", flat=True)) == [client.session.session_key]
    schedule = PeriodicTask.objects.get(task="accounts.tasks.sessions_expired_clear_task")
    assert schedule.enabled and schedule.crontab.hour == "3"
