"""How often and how long a notification is tried: shared by the task (Celery's backoff) and the sweep."""

from datetime import timedelta

# An outage of minutes to hours must not drop a notification: a failing one is tried for a day, then it is dead
# (the admin lists it and replays it; the dashboard counts it).
RETRY_FOR = timedelta(days=1)
TASK_RETRIES = 8  # Celery's quick retries; after them the sweep re-queues the row when it is due
BACKOFF_BASE_SECONDS = 5  # 5, 10, 20 … between attempts, then every 15 minutes
BACKOFF_MAX_SECONDS = 900
# A pending row untouched this long after it was due is re-queued by the sweep: longer than a busy queue makes
# a task wait, far shorter than the hour the broker takes to redeliver a dead worker's task.
SWEEP_AFTER = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """The longest the task waits before attempt ``attempts + 1`` (Celery's full-jitter exponential backoff)."""
    return timedelta(seconds=min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1)))
