"""Thin Celery wrappers around the services; each is safe to run twice (acks_late: a killed worker's task runs
again) because the services find what an earlier run did and stop."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def post_incident_review_task(ticket_id: int) -> bool:
    return services.post_incident_review_open(ticket_id=ticket_id) is not None


@shared_task(acks_late=True)
def readiness_daily_task() -> dict:
    """Daily (admin-editable in Periodic tasks): open the scheduled reviews due soon; then what events missed:
    post-incident reviews whose message was lost, reviews whose last action ticket went without a status change."""
    return {
        "scheduled": services.reviews_open_due(),
        "post_incident": services.post_incident_reviews_sweep(),
        "completed": services.reviews_complete_sweep(),
    }
