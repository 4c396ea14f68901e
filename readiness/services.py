"""Writes for readiness reviews: one transaction each. Tickets are made and changed only through tickets.services.

Locks are taken in one order everywhere: a ticket before a review (a ticket's status change completes a review
while holding the ticket), a schedule before its review.
"""

import calendar
import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from notifications.messages import link_for
from notifications.services import notify_people
from supportdesk.errors import DomainError
from tickets import services as ticket_services
from tickets.exceptions import NotAllowed
from tickets.models import Queue, Severity, Ticket

from . import policies
from .models import Review, ReviewAction, ReviewAnswer, ReviewSchedule, ReviewTemplate, Workload
from .snapshot import incident_timeline

logger = logging.getLogger(__name__)

OPEN_AHEAD = timedelta(days=14)  # a scheduled review opens two weeks before its due date, so it can be planned
POST_INCIDENT_MAX_RANK = 2  # SEV1 and SEV2 as seeded: the two most severe levels
# An AWS Health event rated SEV1/SEV2 is an outage too; findings and requests are not incidents
POST_INCIDENT_KINDS = frozenset({Ticket.Kind.INCIDENT, Ticket.Kind.AWS_HEALTH})
POST_INCIDENT_DUE = timedelta(days=7)
SWEEP_WINDOW = timedelta(days=30)  # how far back the daily sweep looks for a major incident missing its review
DONE = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)


class ReviewRefused(DomainError):
    """A review that cannot take this change in its current state."""


def add_months(day: date, months: int) -> date:
    """The same day so many months later, or the month's last day (31 January + 1 month = 28 or 29 February)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _locked(review_id: int) -> Review:
    return Review.objects.select_for_update(of=("self",)).select_related("queue").get(pk=review_id)


def _review_open(*, template: ReviewTemplate, title: str, queue: Queue, due_on: date, **fields) -> Review:
    """A review with the template's questions copied in (editing the template later leaves it as it was)."""
    review = Review.objects.create(template=template, title=title[:250], queue=queue, due_on=due_on, **fields)
    ReviewAnswer.objects.bulk_create(
        ReviewAnswer(review=review, position=n, pillar=q.pillar, question=q.text, guidance=q.guidance)
        for n, q in enumerate(template.questions.all(), start=1)
    )
    _announce(review)
    return review


def _announce(review: Review) -> None:
    """Its owner hears that a review is open; a post-incident review without one goes to whoever held the incident."""
    person = review.owner or (review.incident.assignee if review.incident is not None else None)
    if person is not None:
        notify_people(
            users=[person],
            subject=f"Review due {review.due_on:%-d %b %Y}: {review.title}",
            body=f"Answer it and raise its action items here: {link_for(review.get_absolute_url())}",
            key=f"readiness:opened:{review.pk}",
        )


def _workload_fields(workload: Workload) -> dict:
    account = workload.aws_account.account_id if workload.aws_account is not None else ""
    return {
        "workload": workload,
        "queue": workload.owner_queue,
        "environment": workload.environment,
        "aws_account_id": account,
        "owner": workload.owner,
    }


@transaction.atomic
def review_create(
    *, actor: User, template: ReviewTemplate, workload: Workload, due_on: date, owner: User | None = None
) -> Review:
    """A review opened by hand, outside any schedule."""
    if not policies.may_manage(actor):
        raise NotAllowed("Only managers and admins may open reviews.")
    fields = _workload_fields(workload) | {"owner": owner or workload.owner or actor}
    return _review_open(template=template, title=f"{template.name} · {workload.name}", due_on=due_on, **fields)


def reviews_open_due(*, today: date | None = None) -> int:
    """Daily: open the next review of every schedule due soon, each schedule in its own transaction.
    Returns how many were opened; a second run the same day opens none."""
    today = today or timezone.localdate()
    due = ReviewSchedule.objects.filter(active=True, next_due_on__lte=today + OPEN_AHEAD).order_by("pk")
    opened = (schedule_review_open(schedule_id=pk, today=today) for pk in due.values_list("pk", flat=True))
    return sum(review is not None for review in opened)


@transaction.atomic
def schedule_review_open(*, schedule_id: int, today: date) -> Review | None:
    horizon = today + OPEN_AHEAD
    # The lock makes a concurrent run wait, then find the schedule moved on; the unique constraint backs it up
    schedule = (
        ReviewSchedule.objects.select_for_update(of=("self",))
        .select_related("template", "workload__owner_queue", "workload__aws_account", "workload__owner")
        .filter(pk=schedule_id, active=True, next_due_on__lte=horizon)
        .first()
    )
    if schedule is None:
        return None
    # A schedule left off for a year opens one review, for its latest occurrence, not four overdue ones
    due_on = schedule.next_due_on
    while (following := add_months(due_on, schedule.every_months)) <= horizon:
        due_on = following
    review = None
    if not Review.objects.filter(schedule=schedule, due_on=due_on).exists():
        review = _review_open(
            template=schedule.template,
            title=f"{schedule.template.name} · {schedule.workload.name}",
            due_on=due_on,
            schedule=schedule,
            **_workload_fields(schedule.workload),
        )
    schedule.next_due_on = add_months(due_on, schedule.every_months)
    schedule.save(update_fields=["next_due_on"])
    return review


def incident_needs_review(ticket: Ticket) -> bool:
    """A major incident, done with: resolved, or closed without being resolved first."""
    return (
        ticket.kind in POST_INCIDENT_KINDS and ticket.status in DONE and ticket.severity.rank <= POST_INCIDENT_MAX_RANK
    )


@transaction.atomic
def post_incident_review_open(*, ticket_id: int, now: datetime | None = None) -> Review | None:
    """The review of a resolved major incident, with its public timeline copied in; once per incident.

    Runs after the resolution commits. The incident's lock orders it with the ticket's own changes and
    with another run: reopened meanwhile, it waits for the next resolution; reviewed already, nothing happens."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("severity", "queue", "assignee")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or not incident_needs_review(ticket) or Review.objects.filter(incident=ticket).exists():
        return None
    template = ReviewTemplate.objects.filter(for_post_incident=True).first()
    if template is None:
        logger.warning("No post-incident review template: %s gets no review.", ticket.reference)
        return None
    now = now or timezone.now()
    return _review_open(
        template=template,
        title=f"Post-incident review · {ticket.reference} {ticket.title}",
        queue=ticket.queue,
        due_on=timezone.localdate(now + POST_INCIDENT_DUE),
        incident=ticket,
        environment=ticket.environment,
        aws_account_id=ticket.aws_account_id,
        timeline=incident_timeline(ticket),
        created_at=now,
    )


def post_incident_reviews_sweep(*, now: datetime | None = None) -> int:
    """Open the reviews a lost queue message missed: major incidents resolved lately that have none."""
    now = now or timezone.now()
    missing = Ticket.objects.filter(
        kind__in=POST_INCIDENT_KINDS,
        status__in=DONE,
        severity__rank__lte=POST_INCIDENT_MAX_RANK,
        resolved_at__gte=now - SWEEP_WINDOW,
        post_incident_review__isnull=True,
    ).order_by("pk")
    opened = (post_incident_review_open(ticket_id=pk, now=now) for pk in missing.values_list("pk", flat=True))
    return sum(review is not None for review in opened)


@transaction.atomic
def answer_save(*, answer: ReviewAnswer, actor: User, answer_text: str, risk: str, notes: str) -> ReviewAnswer:
    review = _locked(answer.review_id)
    if not policies.may_fill(actor, review):
        raise NotAllowed("Only the managers and the agents of this review's queue may answer it.")
    if not review.is_editable:
        raise ReviewRefused("This review was submitted; its answers can no longer change.")
    answer = ReviewAnswer.objects.select_for_update().get(pk=answer.pk)
    answer.answer, answer.risk, answer.notes = answer_text.strip(), risk, notes.strip()
    answer.answered_by, answer.answered_at = actor, timezone.now()
    answer.full_clean(exclude=["review", "answered_by"])
    answer.save(update_fields=["answer", "risk", "notes", "answered_by", "answered_at"])
    if review.status == Review.Status.DUE:
        review.status = Review.Status.IN_PROGRESS
        review.save(update_fields=["status"])
    answer.review = review  # as this save left it
    return answer


@transaction.atomic
def action_add(
    *, review: Review, actor: User, title: str, severity: Severity, description: str = "", owner: User | None = None
) -> ReviewAction:
    """An action item: a readiness-action ticket in the review's queue, linked to the review."""
    review = _locked(review.pk)
    if not policies.may_manage(actor):
        raise NotAllowed("Only managers and admins may add action items.")
    if review.status == Review.Status.COMPLETED:
        raise ReviewRefused("This review is complete; raise a ticket for new work instead.")
    origin = f"Action item of the review “{review.title}”: /reviews/{review.pk}/"
    ticket = ticket_services.ticket_create(
        requester=actor,
        actor=actor,
        kind=Ticket.Kind.READINESS_ACTION,
        queue=review.queue,
        severity=severity,
        title=title,
        description=f"{description.strip()}\n\n{origin}".strip(),
        environment=review.environment,
        aws_account_id=review.aws_account_id,
    )
    if owner is not None:
        # The system assigns: the reviewer picks the owner but need not work the queue (managers do not)
        ticket_services.ticket_assign(ticket=ticket, actor=None, assignee=owner)
    return ReviewAction.objects.create(review=review, ticket=ticket, created_by=actor)


@transaction.atomic
def review_take(*, review: Review, actor: User) -> Review:
    """A manager becomes the review's owner: the one who answers for it (post-incident reviews open unowned)."""
    review = _locked(review.pk)
    if not policies.may_manage(actor):
        raise NotAllowed("Only managers and admins may own reviews.")
    if review.status == Review.Status.COMPLETED:
        raise ReviewRefused("This review is complete.")
    review.owner = actor
    review.save(update_fields=["owner"])
    return review


def _has_open_actions(review: Review) -> bool:
    return ReviewAction.objects.filter(review=review, ticket__status__in=Ticket.OPEN_STATUSES).exists()


def _complete(review: Review, now: datetime) -> None:
    review.status, review.completed_at = Review.Status.COMPLETED, now
    review.save(update_fields=["status", "completed_at"])


@transaction.atomic
def review_submit(*, review: Review, actor: User, now: datetime | None = None) -> Review:
    """Done answering: complete at once, or once the open action items are closed."""
    review = _locked(review.pk)
    if not policies.may_manage(actor):
        raise NotAllowed("Only managers and admins may submit reviews.")
    if not review.is_editable:
        raise ReviewRefused("This review was already submitted.")
    unrated = review.answers.filter(risk="").count()
    if unrated:
        raise ReviewRefused(f"Rate the risk of every question before submitting: {unrated} still unrated.")
    now = now or timezone.now()
    review.submitted_at, review.submitted_by = now, actor
    review.owner = review.owner or actor  # whoever submits an unowned review answers for it
    review.status = Review.Status.AWAITING_ACTIONS
    review.save(update_fields=["submitted_at", "submitted_by", "owner", "status"])
    if not _has_open_actions(review):
        _complete(review, now)
    return review


def reviews_complete_sweep(*, now: datetime | None = None) -> int:
    """Complete the reviews whose last open action went without a status change (its ticket deleted, say)."""
    waiting = Review.objects.filter(status=Review.Status.AWAITING_ACTIONS).exclude(
        actions__ticket__status__in=Ticket.OPEN_STATUSES
    )
    return sum(review_complete_if_done(review_id=pk, now=now) for pk in waiting.values_list("pk", flat=True))


@transaction.atomic
def review_complete_if_done(*, review_id: int, now: datetime | None = None) -> bool:
    """Called as an action ticket is resolved or closed; completing twice is impossible, so re-runs are no-ops."""
    # Locked even when there is nothing to do: a submit waiting on this lock then reads the ticket as changed
    review = _locked(review_id)
    if review.status != Review.Status.AWAITING_ACTIONS or _has_open_actions(review):
        return False
    _complete(review, now or timezone.now())
    return True
