"""Reads. Every list, endpoint and export starts from tickets_visible_to; one ticket read by its key (ticket_detail)
is checked by the same rule, policies.Sight, in its Python reading. A ticket you may not see is a 404."""

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from accounts.roles import Role
from supportdesk.keyset import Page, keyset_page, rows_after

from . import policies, reference
from .filters import TicketFilterForm, breaching_q, reference_number
from .models import Attachment, CannedReply, Comment, Queue, SavedView, Tag, Ticket, TicketEvent

if TYPE_CHECKING:
    from accounts.models import User

# What a list row shows; the description and the rest stay in the database.
LIST_FIELDS = (
    "id",
    "title",
    "kind",
    "status",
    "environment",
    "aws_account_id",
    "escalation_level",
    "created_at",
    "updated_at",
    "acknowledged_at",
    "response_due_at",
    "resolution_due_at",
    "sla_paused_since",  # is_breaching reads it
    "severity__id",
    "severity__name",
    "severity__label",
    "severity__rank",
    "severity__colour",
    "queue__id",
    "queue__name",
    "queue__slug",
    "assignee__id",
    "assignee__email",
    "assignee__first_name",
    "assignee__last_name",
    "requester_id",
    "assignee_id",
    "queue_id",
    "severity_id",
)


_PERSON_FIELDS = ("id", "email", "first_name", "last_name")
# Columns of a person that pages never show: not loading them saves time on every ticket page
_USER_EXTRAS = ("password", "last_login", "is_superuser", "is_staff", "is_active", "date_joined")
# Likewise for what a ticket points at: neither its page nor the API shows these
_TICKET_RELATED_EXTRAS = {
    "severity": ("rank", "response_target", "resolution_target", "description"),
    "queue": ("description", "oncall_contact", "default_assignee", "is_default"),
    "assignee": _USER_EXTRAS,
    "requester": _USER_EXTRAS,
}
_WATCHERS = get_user_model().objects.only(*_PERSON_FIELDS).order_by("first_name", "last_name", "email")
_TAG_NAMES = Tag.objects.order_by("name").values_list("name", flat=True)


@dataclass(frozen=True)
class TicketRead:
    """A shape in which tickets are read: the columns loaded, what is known up front, what is attached after.

    The read path's speed-up state lives here and nowhere else. Each shape is built once, at import: a request only
    copies one, narrows it (by the access rule in tickets_visible_to, or by key in ticket_detail) and compiles it.
    Besides the model's fields, a ticket read as DETAIL or PAGE carries:
      has_files, has_tags   whether it has any (most have no files and many no tags: knowing it saves a query each)
      watcher_people        its watchers (id, names, email), ordered by name
      tag_names             its tag names, in order
      event_count           (PAGE only) the number of its events, which versions the history its page caches
    """

    queryset: QuerySet[Ticket]
    people_and_tags: bool = False

    def attach(self, ticket: Ticket) -> Ticket:
        """Watchers and tag names as plain lists: two small queries, no prefetch machinery."""
        if self.people_and_tags:
            ticket.watcher_people = list(_WATCHERS.filter(watch__ticket_id=ticket.pk))
            has_tags = getattr(ticket, "has_tags", True)  # a ticket a service returned was not read with it
            ticket.tag_names = list(_TAG_NAMES.filter(tickets__id=ticket.pk)) if has_tags else []
        return ticket


# A ticket's number of events, which versions the history its page shows (see PAGE)
_EVENT_COUNT = Subquery(
    TicketEvent.objects.filter(ticket_id=OuterRef("pk")).values("ticket_id").annotate(n=Count("*")).values("n")
)


_DETAIL_QUERYSET = (
    Ticket.objects.select_related(*_TICKET_RELATED_EXTRAS)
    .defer(*(f"{related}__{field}" for related, fields in _TICKET_RELATED_EXTRAS.items() for field in fields))
    .annotate(
        has_files=Exists(Attachment.objects.filter(ticket_id=OuterRef("pk"))),
        has_tags=Exists(Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk"))),
    )
)
# Whole tickets, as other apps narrow and join them
TICKETS = TicketRead(Ticket.objects.all())
# A list row: what the list shows; the description and the rest stay in the database
ROWS = TicketRead(Ticket.objects.select_related("severity", "queue", "assignee").only(*LIST_FIELDS))
# One ticket for the API and the actions on it
DETAIL = TicketRead(_DETAIL_QUERYSET, people_and_tags=True)
# One ticket for its page. Every change to a ticket adds an event and none is ever removed, so their number versions
# the history the page shows (and caches). A count, not the last id: ids are taken at insert, a later one can commit
# first.
PAGE = TicketRead(
    _DETAIL_QUERYSET.annotate(event_count=_EVENT_COUNT),  # type: ignore[no-redef]  # the plugin's Ticket.event_count
    people_and_tags=True,
)


def live_stamp(updated_at: datetime | None, count: int | None = 0) -> str:
    """What an open page shows, versioned: it differs as soon as the ticket (or a list's tickets) changed.

    Pages carry it; their poll (static/js/live.js) sends it back and gets 204 while it still holds."""
    micros = int(updated_at.timestamp() * 1_000_000) if updated_at else 0
    return f"{micros:x}-{count or 0}"


def ticket_live_stamp(*, user, reference: str) -> str:
    """The stamp of one ticket's page (its last save and its number of events), or a 404 out of the person's sight.

    One query by primary key with the access rule; the events are counted on their (ticket, id) index."""
    row = (
        tickets_visible_to(user)
        .filter(pk=ticket_pk(reference))
        .annotate(number_of_events=_EVENT_COUNT)
        .values_list("updated_at", "number_of_events")
        .first()
    )
    if row is None:
        raise Http404("No such ticket.")
    return live_stamp(*row)


def tickets_changed_since(*, user, since: datetime) -> bool:
    """Whether any ticket this person sees was saved after `since`: an open list's poll.

    Any change they could see refreshes the list, whatever its filters (a ticket resolved out of an "open" list, one
    filed into it). One query, a range of the (-updated_at, -id) index, stopping at the first visible ticket."""
    return tickets_visible_to(user).filter(updated_at__gt=since).exists()


# A comment event's actor is the comment's author, so the author is not joined again.
_EVENTS = (
    TicketEvent.objects.select_related("actor", "comment")
    .defer(*(f"actor__{field}" for field in _USER_EXTRAS))
    .order_by("id")
)


def tickets_visible_to(user, *, read: TicketRead = TICKETS) -> QuerySet[Ticket]:
    """The tickets this person may see, in the shape `read`: every read of tickets starts here."""
    return read.queryset.filter(policies.sight_of(user).q())


def ticket_list(*, user, form: TicketFilterForm | None = None) -> QuerySet[Ticket]:
    queryset = tickets_visible_to(user, read=ROWS)
    if form is not None:
        queryset = form.apply(queryset, user=user)
    return queryset


def ticket_page(*, user, form: TicketFilterForm, cursor: str | None, size: int = 25) -> Page:
    """One page of the list; raises keyset.InvalidCursor for a forged or stale cursor."""
    return keyset_page(ticket_list(user=user, form=form), ordering=form.ordering, cursor=cursor, size=size)


EXPORT_FIELDS = (
    "id",
    "title",
    "kind",
    "status",
    "severity_id",
    "queue_id",
    "environment",
    "aws_account_id",
    "created_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "response_due_at",
    "resolution_due_at",
    "assignee__email",
    "assignee__first_name",
    "assignee__last_name",
    "requester__email",
    "requester__first_name",
    "requester__last_name",
)


def ticket_export_chunks(
    *, user, form: TicketFilterForm, chunk_size: int = 2000, now: datetime | None = None
) -> Iterator[list[dict]]:
    """The filtered list as plain rows, in the list's order, one query per chunk.

    A keyset walk, not OFFSET and not one huge result: each chunk costs the same, and only one is in memory."""
    ordering = form.ordering
    keys = [key.lstrip("-") for key in ordering]
    breaching = ExpressionWrapper(breaching_q(now or timezone.now()), output_field=BooleanField())
    visible = form.apply(tickets_visible_to(user), user=user)
    queryset = visible.annotate(breaching=breaching).values(*EXPORT_FIELDS, *keys, "breaching").order_by(*ordering)
    last = None
    while True:
        rows = list((queryset if last is None else queryset.filter(rows_after(ordering, last)))[:chunk_size])
        if rows:
            yield rows
        if len(rows) < chunk_size:
            return
        last = [rows[-1][key] for key in keys]


def ticket_pk(reference: str) -> int:
    number = reference_number(reference) if "-" in reference else None
    if number is None:
        raise Http404("No such ticket.")
    return number


def ticket_is_visible(*, user, ticket: Ticket) -> bool:
    return tickets_visible_to(user).filter(pk=ticket.pk).exists()


def ticket_detail(*, user, reference: str, for_page: bool = False) -> Ticket:
    """The ticket with its tags and watchers, or a 404: a ticket you may not see does not exist for you.

    For its page, the ticket also carries its event_count."""
    read = PAGE if for_page else DETAIL
    found = list(read.queryset.filter(pk=ticket_pk(reference))[:1])
    if not found:
        raise Http404("No such ticket.")
    ticket = read.attach(found[0])
    # The access rule in its Python reading (policies.Sight): the watchers are read anyway, and compiling the SQL
    # reading into this query costs about a millisecond of CPU per page (see Sight)
    if not policies.sight_of(user).sees(ticket, {person.pk for person in ticket.watcher_people}):
        raise Http404("No such ticket.")
    return ticket


def ticket_after_change(*, user, ticket: Ticket) -> Ticket:
    """The ticket as it reads after this person's change. When the change took it out of their sight (a move to
    another team's queue), the ticket the service returned: they still get what they did."""
    try:
        return ticket_detail(user=user, reference=ticket.reference)
    except Http404:
        return DETAIL.attach(ticket)


def ticket_events(*, ticket: Ticket, user) -> QuerySet[TicketEvent]:
    """The timeline as this person may read it: internal notes only for agents and managers."""
    events = _EVENTS.filter(ticket_id=ticket.pk)
    if not policies.may_read_internal(user):
        events = events.filter(is_internal=False)
    return events


def ticket_comments(*, ticket: Ticket, user) -> QuerySet[Comment]:
    """The comments as this person may read them: internal notes only for agents and managers."""
    comments = Comment.objects.filter(ticket_id=ticket.pk).select_related("author")
    if not policies.may_read_internal(user):
        comments = comments.filter(is_internal=False)
    return comments


def ticket_timeline(*, ticket: Ticket, user) -> tuple[list[TicketEvent], list[Attachment]]:
    """The page's timeline: each comment event carrying its files, and the files filed with the ticket."""
    events = list(ticket_events(ticket=ticket, user=user))
    files_by_comment: dict[int | None, list[Attachment]] = defaultdict(list)
    files = Attachment.objects.filter(ticket=ticket).order_by("pk") if getattr(ticket, "has_files", True) else []
    for attachment in files:
        files_by_comment[attachment.comment_id].append(attachment)
    for event in events:
        event.files = files_by_comment.get(event.comment_id, []) if event.comment_id else []
    return events, files_by_comment.get(None, [])


def ticket_attachment(*, user, reference: str, attachment_id: int) -> Attachment:
    ticket = ticket_detail(user=user, reference=reference)
    attachment = Attachment.objects.filter(ticket=ticket, pk=attachment_id).select_related("comment").first()
    if attachment is None or (
        attachment.comment is not None and attachment.comment.is_internal and not policies.may_read_internal(user)
    ):
        raise Http404("No such attachment.")
    return attachment


def _most_severe_ids() -> list[int]:
    """The two highest severities (SEV1 and SEV2 as seeded)."""
    return [s.pk for s in reference.severities()[:2]]


def home_sections(*, user, role: str, limit: int = 8) -> list[tuple[str, str, list[Ticket]]]:
    """The home page: (title, link to the full list, first rows) per section, by role."""
    base = ticket_list(user=user).filter(status__in=Ticket.OPEN_STATUSES)
    if role == "requester":
        sections = [
            ("My open requests", "?requester=me&sort=severity", base.filter(requester=user)),
            (
                "Recently resolved",
                "?requester=me&status=resolved",
                ticket_list(user=user).filter(requester=user, status=Ticket.Status.RESOLVED),
            ),
        ]
    elif role == "agent":
        sections = [
            ("Assigned to me", "?assignee=me&sort=severity", base.filter(assignee=user)),
            (
                "Unassigned in my queues",
                "?assignee=none",
                base.filter(assignee__isnull=True, queue_id__in=sorted(policies.queue_ids_of(user))),
            ),
            ("Breaching SLA", "?breaching=on", base.filter(breaching_q())),
        ]
    else:
        sections = [
            ("Breaching SLA", "?breaching=on&sort=due", base.filter(breaching_q())),
            ("Unassigned", "?assignee=none", base.filter(assignee__isnull=True)),
            ("Most severe open", "?sort=severity", base.filter(severity_id__in=_most_severe_ids())),
        ]
    most_severe = ["severity__rank", "-id"]  # what matters most first, not what was filed last
    order = {
        "Breaching SLA": ["resolution_due_at"],
        "Most severe open": most_severe,
        "My open requests": most_severe,
        "Assigned to me": most_severe,
    }
    return [(title, link, list(qs.order_by(*order.get(title, ["-id"]))[:limit])) for title, link, qs in sections]


def assignable_users(*, queue_id: int | None = None) -> QuerySet:
    """People who may work tickets: agents (of the queue, when given) and admins."""
    agents = Q(groups__name="agent")
    if queue_id is not None:
        agents &= Q(queuemember__queue_id=queue_id)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(agents | Q(groups__name="admin") | Q(is_superuser=True))
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


def queue_managers(*, queue: Queue) -> "list[User]":
    """A queue's managers: people with the manager role who are members of the queue, else every manager."""
    managers = get_user_model().objects.filter(is_active=True, groups__name=Role.MANAGER).order_by("pk")
    return list(managers.filter(support_queues=queue)) or list(managers)


# The engineer's workspace ------------------------------------------------------------------------------------------


def ticket_row(*, user, ticket_id: int) -> Ticket | None:
    """One ticket as a list row shows it, or None when it is not (or no longer) in the person's sight."""
    return tickets_visible_to(user, read=ROWS).filter(pk=ticket_id).first()


def saved_views_for(*, user, limit: int = 30) -> list[SavedView]:
    """The person's views and those shared with a queue they work, by name; one query."""
    shared = sorted(policies.queue_ids_of(user)) if user.has_perm("tickets.work_ticket") else []
    mine = Q(owner_id=user.pk) | Q(shared_with_id__in=shared) if shared else Q(owner_id=user.pk)
    return list(SavedView.objects.filter(mine).select_related("owner", "shared_with").order_by("name", "pk")[:limit])


def saved_view_of(*, user, view_id: int) -> SavedView:
    """One of the person's own views, or a 404: someone else's view does not exist for them."""
    view = SavedView.objects.filter(pk=view_id, owner_id=user.pk).first()
    if view is None:
        raise Http404("No such view.")
    return view


def canned_replies_for(*, user, queue_id: int | None = None) -> QuerySet[CannedReply]:
    """The person's own replies and the team's; for a ticket, those for every queue and for the ticket's."""
    replies = CannedReply.objects.filter(Q(owner_id=user.pk) | Q(owner__isnull=True)).select_related("queue")
    if queue_id is not None:
        replies = replies.filter(Q(queue__isnull=True) | Q(queue_id=queue_id))
    return replies.order_by("title", "pk")


def canned_reply_of(*, user, reply_id: int, queue_id: int | None = None) -> CannedReply:
    reply = canned_replies_for(user=user, queue_id=queue_id).filter(pk=reply_id).first()
    if reply is None:
        raise Http404("No such reply.")
    return reply


PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
PLACEHOLDERS = ("requester", "reference", "title", "queue", "assignee", "me")


def canned_reply_text(*, reply: CannedReply, ticket: Ticket, user) -> str:
    """The reply's body with {{ requester }}, {{ reference }}… filled in as plain text. A substitution, not a
    template: a body cannot reach anything but these values, and the values are never read as markup."""
    values = {
        "requester": ticket.requester.display_name,
        "reference": ticket.reference,
        "title": ticket.title,
        "queue": ticket.queue.name,
        "assignee": ticket.assignee.display_name if ticket.assignee else "",
        "me": user.display_name,
    }
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), reply.body)
