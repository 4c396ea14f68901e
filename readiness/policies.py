"""Who may see, fill in and run readiness reviews. Views, selectors and services ask here.

Managers and admins (readiness.manage_review) create, own and submit reviews and add their action items;
agents see and fill in the reviews of the queues they work; requesters never see a review.
"""

from tickets.policies import queue_ids_of

from .models import Review


def may_manage(user) -> bool:
    return user is not None and user.has_perm("readiness.manage_review")


def may_see_reviews(user) -> bool:
    return may_manage(user) or user.has_perm("tickets.work_ticket")


def may_fill(user, review: Review) -> bool:
    """Answer its questions: its managers, and the agents of the queue that owns the workload."""
    return may_manage(user) or (user.has_perm("tickets.work_ticket") and review.queue_id in queue_ids_of(user))
