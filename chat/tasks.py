"""Thin Celery wrappers for what must not hold up Slack's three seconds: telling someone something only they see,
forgetting old requests (a card's redraw is notifications.tasks.slack_card_refresh_task). Safe to run twice
(acks_late): each sends the state as it is."""

from celery import shared_task

from notifications.slack import SlackUnavailable, slack_tell

from . import services

# A Slack call takes seconds: limits well under the global ones (soft first, as Celery requires); retried while Slack
# is unreachable or throttling
slack_call = shared_task(
    acks_late=True,
    soft_time_limit=45,
    time_limit=60,
    autoretry_for=(SlackUnavailable,),
    retry_backoff=5,
    retry_backoff_max=120,
)


@slack_call
def slack_tell_task(channel: str, user: str, text: str) -> None:
    slack_tell(channel=channel, user=user, text=text)


@shared_task(acks_late=True, time_limit=300)
def slack_requests_prune_task() -> int:
    """Daily (supportdesk/schedule.py): the record of requests acted on, kept a day."""
    return services.slack_requests_prune()
