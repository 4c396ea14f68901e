"""The tickets AWS findings and events stand for: who files them, how severe, which queue, and following AWS."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from accounts.models import User
from tickets import reference
from tickets import services as ticket_services
from tickets.models import Queue, Severity, Ticket
from tickets.reactions import Changes, dispatch
from tickets.workflow import Action

from ..accounts.models import AwsAccount
from .models import TagRoute

AWS_REQUESTER_EMAIL = "aws@supportdesk.invalid"

# Default severities by rank (1 = most severe) until an admin's rules decide otherwise
RANK_PRODUCTION_OUTAGE = 2
RANK_ISSUE = 3
RANK_ADVICE = 4


def aws_requester():
    """The requester of tickets AWS raises: a user who cannot sign in, named so the timeline reads well."""
    user, created = get_user_model().objects.get_or_create(
        email=AWS_REQUESTER_EMAIL, defaults={"first_name": "AWS", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def severity_near(rank: int) -> Severity:
    """The configured severity closest to ``rank``: admins may have more or fewer than five levels."""
    levels = reference.severities()
    return min(levels, key=lambda s: (abs(s.rank - rank), s.rank))


def tag_routes() -> list[TagRoute]:
    """Every tag route, first match first: read once per batch of findings."""
    return list(TagRoute.objects.select_related("queue").order_by("position", "pk"))


def queue_for(account: AwsAccount, tag_sets: Iterable[dict[str, str]], routes: list[TagRoute]) -> Queue:
    """The queue a tag route names for any affected resource's tags, else the account's owner queue."""
    tags = {(k, v) for tag_set in tag_sets for k, v in tag_set.items()}
    for route in routes if tags else ():
        if (route.tag_key, route.tag_value) in tags:
            return route.queue
    return account.owner_queue


def new_ticket(
    *,
    account: AwsAccount,
    kind: str,
    title: str,
    description: str,
    rank: int,
    queue: Queue,
    tags: list[str],
    requester: User | None,
) -> ticket_services.NewTicket:
    """A ticket for a finding or event, filed by ``aws_requester()`` in the account's environment."""
    return ticket_services.NewTicket(
        requester=requester,
        title=title[:200],
        description=description,
        severity=severity_near(rank),
        kind=kind,
        queue=queue,
        environment=account.environment,
        aws_account_id=account.account_id,
        tags=tags,
    )


def tickets_linked(filed: Changes) -> None:
    """New tickets are filed with a record (``tickets_create(record=filed)``) and handed to the reactions once they
    are linked to their findings or events: the rules see where they came from, in the filing transaction, before
    the creation notices are written."""
    dispatch(filed)


def ticket_follow(*, ticket: Ticket, still_open: bool, note: str) -> str | None:
    """Resolve a ticket when AWS says it is over, reopen it when it comes back; "resolved", "reopened" or None."""
    # Read under the lock: a person may have resolved or reopened it since this poll read it
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if not still_open and ticket.status in Ticket.OPEN_STATUSES:
        ticket_services.ticket_transition(ticket=ticket, actor=None, action=Action.RESOLVE, note=note)
        return "resolved"
    if still_open and ticket.status not in Ticket.OPEN_STATUSES:
        ticket_services.ticket_transition(ticket=ticket, actor=None, action=Action.REOPEN, note=note)
        return "reopened"
    return None
