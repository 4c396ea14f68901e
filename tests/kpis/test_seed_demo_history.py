import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from demo.management.commands.seed_demo_history import TICKET_COUNT
from escalation.services import sla as sla_services
from integrations.models import MaintenanceWindow
from kpis.models import KpiTarget, TicketFact
from notifications.models import Notification
from readiness.models import Review
from tickets.models import Ticket, TicketEvent


def _headline_figure(page: str, kpi: str) -> str:
    match = re.search(rf'data-kpi="{kpi}">.*?<span class="kpi-value">([^<]*)</span>', page, re.S)
    assert match, f"no {kpi} tile"
    return match.group(1).strip()


@pytest.mark.django_db
def test_the_demo_history_is_added_once_and_fills_the_dashboard(client, django_capture_on_commit_callbacks):
    # given: the demo of `make run`
    call_command("seed_demo", "--sandbox", stdout=StringIO())
    demo_tickets = Ticket.objects.count()
    # when: `make run` starts twice
    with django_capture_on_commit_callbacks() as queued:
        call_command("seed_demo_history", stdout=StringIO())
    tickets, events = Ticket.objects.count(), TicketEvent.objects.count()
    call_command("seed_demo_history", stdout=StringIO())
    # then: the history once, with lives that went every way
    assert Ticket.objects.count() == tickets
    assert TicketEvent.objects.count() == events
    history = Ticket.objects.exclude(kind=Ticket.Kind.READINESS_ACTION)
    assert history.count() == demo_tickets + TICKET_COUNT
    assert history.filter(status__in=Ticket.OPEN_STATUSES).count() > TICKET_COUNT // 10
    assert history.filter(status=Ticket.Status.CLOSED).count() > TICKET_COUNT // 2
    reopened = TicketEvent.objects.filter(
        kind=TicketEvent.Kind.STATUS_CHANGED, data__after="In progress", data__before__in=["Resolved", "Closed"]
    )
    assert reopened.exists()
    assert TicketFact.objects.filter(reopen_count__gt=0).exists()
    # nobody is mailed about the past (seed_demo's tickets and today's action item are news)
    assert not Notification.objects.filter(ticket__created_at__lt=timezone.now() - timedelta(days=5)).exists()
    assert len(queued) < 100
    # reviews: post-incident ones completed, one under way with an action item, one overdue
    assert Review.objects.filter(incident__isnull=False, status=Review.Status.COMPLETED).exists()
    under_way = Review.objects.get(workload__name="Payments API")
    assert under_way.status == Review.Status.IN_PROGRESS and under_way.actions.count() == 1
    assert Review.objects.get(workload__name="Corporate IT").is_overdue()
    assert MaintenanceWindow.objects.filter(title="Database failover test", service="RDS").count() == 1
    assert KpiTarget.objects.count() == 2
    # SLA breaches were recorded as they happened: the worker's first sweep finds next to none left to announce
    breaches = TicketEvent.objects.filter(kind="sla_breached")
    assert breaches.filter(created_at__lt=timezone.now() - timedelta(days=30)).count() > 20
    assert sla_services.sla_sweep() < 10
    # the manager's dashboard shows figures at once
    client.force_login(get_user_model().objects.get(email="manager@example.com"))
    page = client.get("/dashboard/panel/headline/?period=30d").content.decode()
    assert int(_headline_figure(page, "created").replace(",", "")) > 50
    assert int(_headline_figure(page, "resolved").replace(",", "")) > 50
    assert _headline_figure(page, "mtta_p50").endswith((" min", " h", " d"))
    assert _headline_figure(page, "response_sla").endswith("%")
