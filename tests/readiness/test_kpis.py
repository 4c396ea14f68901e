from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from kpis.filters import KpiScope
from kpis.registry import kpi_values
from readiness import services

from ..factories import severity
from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_overdue_reviews_and_open_actions_are_kpis_for_targets_and_snapshots(manager, agent, review):
    services.action_add(review=review, actor=manager, title="Fix", severity=severity("SEV4"), owner=agent)
    tomorrow = TODAY + timedelta(days=1)
    now = timezone.make_aware(datetime.combine(tomorrow, time(12)))

    values = kpi_values(KpiScope(start=tomorrow, end=tomorrow), now=now, keys=["overdue_reviews", "open_actions"])
    elsewhere = KpiScope(start=tomorrow, end=tomorrow, environment="staging")

    assert values == {"overdue_reviews": 1, "open_actions": 1}
    assert kpi_values(elsewhere, now=now, keys=["overdue_reviews"]) == {"overdue_reviews": 0}
