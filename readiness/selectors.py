"""Reads. Every review list, page and count starts from reviews_visible_to, so they cannot disagree."""

from datetime import date, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from tickets.models import Ticket
from tickets.policies import queue_ids_of
from tickets.selectors import tickets_visible_to

from . import policies
from .models import Pillar, Review, ReviewAction, ReviewAnswer, Risk, Workload

UPCOMING = timedelta(days=30)  # the dashboard's "due soon"


def reviews_visible_to(user) -> QuerySet[Review]:
    if policies.may_manage(user):
        return Review.objects.all()
    if user.has_perm("tickets.work_ticket"):
        return Review.objects.filter(queue_id__in=sorted(queue_ids_of(user)))
    return Review.objects.none()


def workloads_visible_to(user) -> QuerySet[Workload]:
    """The workloads whose reviews the person sees: their names alone say what a team runs."""
    if policies.may_manage(user):
        return Workload.objects.all()
    return Workload.objects.filter(owner_queue_id__in=sorted(queue_ids_of(user)))


def overdue_q(today: date) -> Q:
    return Q(status__in=Review.OPEN_STATUSES, due_on__lt=today)


def upcoming_q(today: date) -> Q:
    return Q(status__in=Review.OPEN_STATUSES, due_on__gte=today, due_on__lte=today + UPCOMING)


def _count(queryset: QuerySet) -> Coalesce:
    """A per-review count as a subquery: several joined Counts would multiply each other's rows."""
    counted = queryset.filter(review_id=OuterRef("pk")).order_by().values("review_id").annotate(n=Count("*"))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), Value(0))


def review_list(
    *,
    user,
    state: str = "",
    origin: str = "",
    workload_id: int | None = None,
    mine: bool = False,
    q: str = "",
    today: date | None = None,
) -> QuerySet[Review]:
    """Rows for the list, with their progress and open actions counted in SQL."""
    today = today or timezone.localdate()
    reviews = reviews_visible_to(user).select_related("workload", "queue", "owner", "incident")
    if state == "overdue":
        reviews = reviews.filter(overdue_q(today))
    elif state == "open":
        reviews = reviews.filter(status__in=Review.OPEN_STATUSES)
    elif state:
        reviews = reviews.filter(status=state)
    if origin == "scheduled":
        reviews = reviews.filter(incident__isnull=True)
    elif origin == "post_incident":
        reviews = reviews.filter(incident__isnull=False)
    if workload_id is not None:
        reviews = reviews.filter(workload_id=workload_id)
    if mine:
        reviews = reviews.filter(owner=user)
    if q:
        reviews = reviews.filter(title__icontains=q)
    return reviews.annotate(
        question_count=_count(ReviewAnswer.objects.all()),
        rated_count=_count(ReviewAnswer.objects.exclude(risk="")),
        open_action_count=_count(ReviewAction.objects.filter(ticket__status__in=Ticket.OPEN_STATUSES)),
    ).order_by("due_on", "-id")


def review_detail(*, user, review_id: int) -> Review:
    """The review, or a 404: a review you may not see does not exist for you."""
    review = (
        reviews_visible_to(user)
        .select_related("workload__aws_account", "queue", "owner", "submitted_by", "incident", "template")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        raise Http404("No such review.")
    return review


def review_answers(*, review: Review) -> list[ReviewAnswer]:
    return list(ReviewAnswer.objects.filter(review=review).select_related("answered_by"))


def review_answer(*, review: Review, answer_id: int) -> ReviewAnswer:
    answer = ReviewAnswer.objects.filter(review=review, pk=answer_id).select_related("answered_by").first()
    if answer is None:
        raise Http404("No such question.")
    answer.review = review
    return answer


def review_actions(*, review: Review, user) -> list[ReviewAction]:
    """The action items with their tickets' live status, severity and owner; `ticket_visible` is false for a ticket
    since moved where the reader may not see it (its status still counts for the review, its title is not shown)."""
    visible = tickets_visible_to(user).filter(pk=OuterRef("ticket_id"))
    actions = ReviewAction.objects.filter(review=review).select_related("ticket__severity", "ticket__assignee")
    return list(actions.annotate(ticket_visible=Exists(visible)).order_by("id"))


def review_risks_by_pillar(*, review: Review) -> list[dict]:
    """One row per pillar the review asks about: how many answers at each risk, counted in SQL."""
    counts = {
        row["pillar"]: row
        for row in ReviewAnswer.objects.filter(review=review)
        .values("pillar")
        .annotate(
            total=Count("id"),
            unrated=Count("id", filter=Q(risk="")),
            **{risk.value: Count("id", filter=Q(risk=risk.value)) for risk in Risk},
        )
        .order_by()
    }
    return [counts[p.value] | {"label": p.label} for p in Pillar if p.value in counts]


def _dimensions(account: str, environment: str, queue_id: int | None) -> dict:
    """The KPI filter's dimensions, on the fields each review copied from its workload or incident."""
    dimensions = (("aws_account_id", account), ("environment", environment), ("queue_id", queue_id))
    return {key: value for key, value in dimensions if value}


def readiness_counts(
    *,
    account: str = "",
    environment: str = "",
    queue_id: int | None = None,
    today: date | None = None,
    reviews: QuerySet[Review] | None = None,
) -> dict:
    """The readiness KPIs: reviews past due and not submitted, action tickets still open, and the context.
    ``reviews``: those a person may see (the dashboard panel); all of them for the KPIs."""
    today = today or timezone.localdate()
    dimensions = _dimensions(account, environment, queue_id)
    reviews = Review.objects.all() if reviews is None else reviews
    open_actions = ReviewAction.objects.filter(
        review__in=reviews.filter(**dimensions), ticket__status__in=Ticket.OPEN_STATUSES
    ).count()
    counts = reviews.filter(**dimensions).aggregate(
        overdue_reviews=Count("id", filter=overdue_q(today)),
        due_soon_reviews=Count("id", filter=upcoming_q(today)),
        awaiting_actions_reviews=Count("id", filter=Q(status=Review.Status.AWAITING_ACTIONS)),
    )
    return counts | {"open_actions": open_actions}


def readiness_panel(*, user, account: str = "", environment: str = "", limit: int = 6) -> dict:
    """The dashboard fragment: the counts, the overdue reviews (oldest first) and those due soon, of the reviews
    the person may see."""
    today = timezone.localdate()
    visible = reviews_visible_to(user)
    reviews = (
        visible.filter(**_dimensions(account, environment, None))
        .select_related("workload", "owner")
        .annotate(open_action_count=_count(ReviewAction.objects.filter(ticket__status__in=Ticket.OPEN_STATUSES)))
    )
    return {
        "counts": readiness_counts(account=account, environment=environment, today=today, reviews=visible),
        "overdue": list(reviews.filter(overdue_q(today)).order_by("due_on", "id")[:limit]),
        "upcoming": list(reviews.filter(upcoming_q(today)).order_by("due_on", "id")[:limit]),
        "today": today,
    }
