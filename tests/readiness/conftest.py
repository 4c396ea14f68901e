from datetime import date

import pytest

from readiness import services, tasks
from readiness.models import Review, ReviewSchedule, ReviewTemplate, Workload
from tickets import services as ticket_services
from tickets.models import Ticket

from ..factories import TicketFactory, severity

QUARTERLY = "Operational readiness (quarterly)"
TODAY = date(2026, 3, 2)


@pytest.fixture
def quarterly(db) -> ReviewTemplate:
    return ReviewTemplate.objects.get(name=QUARTERLY)  # seeded by readiness.0002


@pytest.fixture
def workload(queue, manager) -> Workload:
    return Workload.objects.create(name="Payments API", owner_queue=queue, owner=manager, environment="production")


@pytest.fixture
def schedule(workload, quarterly) -> ReviewSchedule:
    return ReviewSchedule.objects.create(workload=workload, template=quarterly, every_months=3, next_due_on=TODAY)


@pytest.fixture
def review(workload, quarterly, manager) -> Review:
    return services.review_create(actor=manager, template=quarterly, workload=workload, due_on=TODAY)


@pytest.fixture
def post_incident_now(monkeypatch):
    """The post-incident task runs in place of the queue, so a test sees what a worker would do."""
    task = tasks.post_incident_review_task
    monkeypatch.setattr(task, "delay", lambda ticket_id: task(ticket_id))


def incident(queue, sev: str = "SEV1", kind: str = Ticket.Kind.INCIDENT) -> Ticket:
    return TicketFactory(
        queue=queue,
        severity=severity(sev),
        kind=kind,
        title="Checkout returns 502",
        environment="production",
        aws_account_id="111122223333",
    )


def act(ticket: Ticket, action: str, actor=None, note: str = "") -> Ticket:
    note = note or f"{action} for a test"
    return ticket_services.ticket_transition(ticket=ticket, actor=actor, action=action, note=note)


def rate_all(review: Review, actor, risk: str = "low") -> None:
    for answer in review.answers.all():
        services.answer_save(answer=answer, actor=actor, answer_text="Yes, checked.", risk=risk, notes="")
