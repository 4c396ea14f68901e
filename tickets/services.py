"""Every change to a ticket goes through here: one transaction each, one timeline event per change.

HTML views, the API, the admin and (later) AWS ingestion call these; none saves a ticket itself.
`actor=None` is the system.

Each records what it did and hands it once to the reactions (tickets/reactions.py) at its end, in its transaction.
Given a caller's ``record``, a service records into it instead, and the caller dispatches.
"""

import mimetypes
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.models import User
from accounts.types import Actor
from supportdesk.errors import DomainError

from . import policies, reference, timeline
from .exceptions import IllegalTransition, InvalidAttachment, InvalidChoice, NotAllowed
from .filters import saved_query
from .models import Attachment, CannedReply, Comment, Queue, SavedView, Severity, Tag, Ticket, Watch
from .reactions import Changes, recording
from .workflow import NOTE_REQUIRED, TRANSITIONS, Action, transition_for

S = Ticket.Status
TEXT_FIELDS = frozenset({"title", "description"})
AWS_UPDATE_LINES = 25  # a timeline entry names this many resources; the finding list shows them all


def _locked(ticket: Ticket) -> Ticket:
    # Two people clicking at once change the ticket one after the other, each seeing the other's change.
    return (
        Ticket.objects.select_for_update(of=("self",)).select_related("severity", "queue", "assignee").get(pk=ticket.pk)
    )


def _name(user: User | None) -> str:
    return user.display_name if user is not None else "nobody"


def _validate(ticket: Ticket) -> None:
    """Field rules (lengths, choices, the account id) without a query per foreign key."""
    ticket.full_clean(exclude=_RELATIONS, validate_unique=False, validate_constraints=False)


_RELATIONS = ["severity", "queue", "assignee", "requester", "watchers", "tags"]


def _apply_due_times(ticket: Ticket) -> None:
    ticket.response_due_at = ticket.created_at + ticket.severity.response_target
    ticket.resolution_due_at = ticket.created_at + ticket.severity.resolution_target


MAX_TAGS = 20


def tag_names_clean(names: Iterable[str]) -> list[str]:
    """Tags as stored: trimmed, lower case, unique, sorted; at most 20 of at most 50 characters."""
    cleaned = sorted({n.strip().lower() for n in names if n.strip()})
    if len(cleaned) > MAX_TAGS:
        raise InvalidChoice(f"At most {MAX_TAGS} tags, please.")
    too_long = [n for n in cleaned if len(n) > cast(int, Tag._meta.get_field("name").max_length)]
    if too_long:
        raise InvalidChoice(f"Tags must be 50 characters or fewer: {too_long[0][:20]}… is too long.")
    return cleaned


def _tags_by_name(names: Iterable[str]) -> dict[str, Tag]:
    """Tag rows for already cleaned names, created where missing (two writers may race: get_or_create)."""
    names = set(names)
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)} if names else {}
    for name in sorted(names - existing.keys()):  # in one order: two writers creating the same tags cannot deadlock
        existing[name], _ = Tag.objects.get_or_create(name=name)
    return existing


def _tags_from_names(names: Iterable[str]) -> list[Tag]:
    cleaned = tag_names_clean(names)
    by_name = _tags_by_name(cleaned)
    return [by_name[name] for name in cleaned]


# Python's own table only, not the host's /etc/mime.types: the same type on every machine
_MIME_TYPES = mimetypes.MimeTypes(filenames=())
for _type, _extension in [
    ("text/plain", ".log"),
    ("application/yaml", ".yaml"),
    ("application/yaml", ".yml"),
    ("application/json", ".har"),
    ("image/webp", ".webp"),
]:
    _MIME_TYPES.add_type(_type, _extension)


def attachment_validate(upload: UploadedFile) -> None:
    assert upload.name is not None and upload.size is not None  # an upload always has both (None: a bare File)
    extension = os.path.splitext(upload.name)[1].lower().lstrip(".")
    if extension not in settings.ATTACHMENT_ALLOWED_EXTENSIONS:
        allowed = ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS)
        raise InvalidAttachment(f"{upload.name}: files of type .{extension or '?'} are not accepted (use {allowed}).")
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        raise InvalidAttachment(f"{upload.name} is larger than the {limit} MB limit.")


def attachments_validate(uploads: Sequence[UploadedFile]) -> None:
    """Each file, and the lot of them: one comment may not carry a hundred files of 9 MB each."""
    if len(uploads) > settings.ATTACHMENT_MAX_FILES:
        raise InvalidAttachment(f"At most {settings.ATTACHMENT_MAX_FILES} files at a time; you sent {len(uploads)}.")
    for upload in uploads:
        attachment_validate(upload)
    if sum(upload.size or 0 for upload in uploads) > settings.ATTACHMENT_MAX_TOTAL_BYTES:
        limit = settings.ATTACHMENT_MAX_TOTAL_BYTES // (1024 * 1024)
        raise InvalidAttachment(f"These files come to more than {limit} MB together; send fewer or smaller ones.")


@contextmanager
def _files_deleted_on_error() -> Iterator[list[str]]:
    """A list for the names of files stored inside the block, deleted again if it raises: the transaction
    around them rolls back, and on_commit has no twin for a rollback."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def _attach(
    *, ticket: Ticket, comment: Comment | None, uploads: Sequence[UploadedFile], user: Actor, stored: list[str]
) -> None:
    attachments_validate(uploads)  # all checked before any is written: a refused file leaves nothing on disk
    for upload in uploads:
        assert upload.name is not None and upload.size is not None  # checked by attachments_validate
        name = os.path.basename(upload.name)
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            filename=name[: cast(int, Attachment._meta.get_field("filename").max_length)],
            size=upload.size,
            # From the extension (an allowed one), never the client's header: it may say anything, NULs included
            content_type=_MIME_TYPES.guess_type(name)[0] or "application/octet-stream",
            uploaded_by=user,
        )
        attachment.file.save(name, upload, save=False)
        stored.append(attachment.file.name)
        attachment.save()


@dataclass(frozen=True)
class NewTicket:
    """What a ticket is filed with; ``tickets_create`` files any number of them at once."""

    requester: User | None
    title: str
    severity: Severity
    kind: str = Ticket.Kind.INCIDENT
    description: str = ""
    queue: Queue | None = None
    environment: str = ""
    aws_account_id: str = ""
    tags: Iterable[str] = ()


def ticket_create(
    *,
    requester: User | None,
    title: str,
    severity: Severity,
    kind: str = Ticket.Kind.INCIDENT,
    description: str = "",
    queue: Queue | None = None,
    environment: str = "",
    aws_account_id: str = "",
    tags: Iterable[str] = (),
    attachments: Sequence[UploadedFile] = (),
    actor: Actor = None,
    now: datetime | None = None,
    record: Changes | None = None,
) -> Ticket:
    """File a ticket; it lands in the chosen queue, or the default one, with its due times set."""
    new = NewTicket(
        requester=requester,
        title=title,
        severity=severity,
        kind=kind,
        description=description,
        queue=queue,
        environment=environment,
        aws_account_id=aws_account_id,
        tags=tags,
    )
    with _files_deleted_on_error() as stored, transaction.atomic(), recording(record) as changes:
        [ticket] = tickets_create(new=[new], actor=actor, now=now, record=changes)
        _attach(ticket=ticket, comment=None, uploads=attachments, user=requester, stored=stored)
    return ticket


@transaction.atomic
def tickets_create(
    *, new: Sequence[NewTicket], actor: Actor = None, now: datetime | None = None, record: Changes | None = None
) -> list[Ticket]:
    """File tickets in a handful of INSERTs whatever their number (AWS ingestion files them by the batch).

    Each ticket gets what a single filing gives it: due times, tags, watchers and its "created" timeline event;
    the reactions (SLA clocks, rules, notices) carry it on. AWS ingestion passes a ``record`` and dispatches it
    once the tickets are linked to their findings and events.
    """
    now = now or timezone.now()
    tickets, tag_names = [], []
    for spec in new:
        queue = spec.queue or reference.default_queue()
        if queue is None:
            raise NotAllowed("No queue exists yet: an admin must create one before tickets can be filed.")
        ticket = Ticket(
            title=spec.title.strip(),
            description=spec.description.strip(),
            kind=spec.kind,
            severity=spec.severity,
            queue=queue,
            assignee_id=queue.default_assignee_id,
            requester=spec.requester,
            environment=spec.environment,
            aws_account_id=spec.aws_account_id,
            created_at=now,
        )
        _apply_due_times(ticket)
        _validate(ticket)
        tickets.append(ticket)
        tag_names.append(tag_names_clean(spec.tags))
    Ticket.objects.bulk_create(tickets)
    tags = _tags_by_name(name for names in tag_names for name in names)
    links = Ticket.tags.through
    links.objects.bulk_create(
        links(ticket=ticket, tag=tags[name]) for ticket, names in zip(tickets, tag_names, strict=True) for name in names
    )
    # The requester hears about every public change; a default assignee follows their ticket too.
    Watch.objects.bulk_create(
        Watch(ticket=ticket, user_id=pk)
        for ticket in tickets
        for pk in dict.fromkeys(filter(None, [ticket.requester_id, ticket.assignee_id]))
    )
    with recording(record) as changes:
        changes.file(tickets)
        changes.events += timeline.tickets_created(tickets=tickets, actor=actor)
    return tickets


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor: Actor,
    title: str | None = None,
    description: str | None = None,
    severity: Severity | None = None,
    queue: Queue | None = None,
    kind: str | None = None,
    environment: str | None = None,
    aws_account_id: str | None = None,
    tags: Iterable[str] | None = None,
    record: Changes | None = None,
) -> Ticket:
    """Change the fields given (None: not given; no field takes None); each change is a timeline event with the
    value before and after, in the order of the parameters (the edit form's order)."""
    ticket = _locked(ticket)
    given = {
        "title": title,
        "description": description,
        "severity": severity,
        "queue": queue,
        "kind": kind,
        "environment": environment,
        "aws_account_id": aws_account_id,
        "tags": tags,
    }
    values: dict[str, Any] = {field: value for field, value in given.items() if value is not None}
    if actor is not None and values.keys() - TEXT_FIELDS and not policies.may_work(actor, ticket):
        raise NotAllowed("Only agents of this ticket's queue may change its severity, queue or details.")
    if actor is not None and not policies.may_edit_text(actor, ticket):
        raise NotAllowed("You may not edit this ticket.")
    with recording(record) as changes:
        _update(ticket, actor, values, changes)
    return ticket


def _update(ticket: Ticket, actor: Actor, values: dict[str, Any], changes: Changes) -> None:
    changed: list[str] = []
    for field, value in values.items():
        if field == "tags":
            before = sorted(t.name for t in ticket.tags.all())
            new_tags = _tags_from_names(value)
            if [t.name for t in new_tags] != before:
                ticket.tags.set(new_tags)
                changed.append("tags")
                changes.event(
                    timeline.field_changed(
                        ticket=ticket,
                        actor=actor,
                        field="tags",
                        label="Tags",
                        before=", ".join(before),
                        after=", ".join(t.name for t in new_tags),
                    )
                )
            continue
        old = getattr(ticket, field)
        if isinstance(value, str):
            value = value.strip()
        if old == value:
            continue
        before_text = _display(ticket, field)
        setattr(ticket, field, value)
        changed.append(field)
        model_field = cast(models.Field, Ticket._meta.get_field(field))  # a column, not a relation's far side
        changes.event(
            timeline.field_changed(
                ticket=ticket,
                actor=actor,
                field=field,
                label=model_field.verbose_name.capitalize(),
                before=before_text,
                after=_display(ticket, field),
            )
        )
    if "severity" in changed:
        _apply_due_times(ticket)
        changed += ["response_due_at", "resolution_due_at"]
    if changed:
        _validate(ticket)
        changes.save(ticket, update_fields=[*(f for f in changed if f != "tags"), "updated_at"])


@transaction.atomic
def ticket_aws_update(
    *, ticket: Ticket, source: str, summary: str, lines: Sequence[str] = (), record: Changes | None = None
) -> Ticket:
    """What AWS changed about the finding or event behind a ticket: one timeline entry per poll or push."""
    ticket = _locked(ticket)
    with recording(record) as changes:
        lines = list(lines[:AWS_UPDATE_LINES])
        changes.event(timeline.aws_updated(ticket=ticket, source=source, summary=summary, lines=lines))
        changes.save(ticket, update_fields=["updated_at"])
    return ticket


@transaction.atomic
def ticket_aws_case_note(
    *,
    ticket: Ticket,
    actor: Actor,
    summary: str,
    case_id: str = "",
    lines: Sequence[str] = (),
    aws_replied: bool = False,
    record: Changes | None = None,
) -> Ticket:
    """What happened to the ticket's AWS Support case; a reply from AWS brings a ticket waiting on AWS back to work."""
    ticket = _locked(ticket)
    with recording(record) as changes:
        changes.event(
            timeline.aws_case(ticket=ticket, actor=actor, summary=summary, case_id=case_id, lines=list(lines))
        )
        changes.save(ticket, update_fields=["updated_at"])
        if aws_replied and ticket.status == S.WAITING_AWS:
            ticket = ticket_transition(
                ticket=ticket, actor=None, action=Action.START, note="AWS replied on the case.", record=changes
            )
    return ticket


def _display(ticket: Ticket, field: str) -> str:
    value = getattr(ticket, field)
    if field in {"kind", "status", "environment"}:
        return str(getattr(ticket, f"get_{field}_display")()) or "—"
    if field == "description":
        return (value[:200] + "…") if len(value) > 200 else value
    return str(value) if value not in (None, "") else "—"


@transaction.atomic
def ticket_transition(
    *,
    ticket: Ticket,
    actor: Actor,
    action: str,
    note: str = "",
    now: datetime | None = None,
    record: Changes | None = None,
) -> Ticket:
    """Move a ticket along the workflow; an illegal move is refused with the reason."""
    ticket = _locked(ticket)
    if action not in TRANSITIONS:
        raise IllegalTransition(f"“{action}” is not a ticket action.")
    label = Action(action).label
    transition = transition_for(action, ticket.status)
    if transition is None:
        status = ticket.get_status_display()
        raise IllegalTransition(f"“{label}” does not apply to a ticket that is {status[0].lower()}{status[1:]}.")
    if actor is not None and not policies.may_transition(actor, ticket, action):
        raise NotAllowed(f"You may not {label.lower()} this ticket.")
    note = note.strip()
    if action in NOTE_REQUIRED and not note:
        raise IllegalTransition(f"Say why: “{label}” needs a note.")
    now = now or timezone.now()
    before = ticket.get_status_display()
    ticket.status = transition.target
    fields = ["status", "updated_at"]
    if action == Action.REOPEN:
        ticket.resolved_at = ticket.closed_at = None
        fields += ["resolved_at", "closed_at"]
    if action != Action.REOPEN:
        fields += _acknowledge_if_first(ticket, actor, now)
    if transition.target == S.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    if transition.target == S.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
        fields += ["closed_at", "resolved_at"]
    with recording(record) as changes:
        changes.save(ticket, update_fields=fields)
        after = ticket.get_status_display()
        changes.event(timeline.status_changed(ticket=ticket, actor=actor, before=before, after=after, note=note))
        if action == Action.ACKNOWLEDGE and ticket.assignee_id is None and actor is not None:
            _assign(ticket, actor, actor, changes)  # acknowledging takes ownership, as on-call tools do
    return ticket


def _acknowledge_if_first(ticket: Ticket, actor: Actor, now: datetime) -> list[str]:
    """The first response by a person who works the ticket, whatever it is, stops the response clock.
    Returns the fields to save. The system (actor None) never acknowledges on anyone's behalf."""
    if ticket.acknowledged_at is not None or actor is None or not policies.may_work(actor, ticket):
        return []
    ticket.acknowledged_at = now
    return ["acknowledged_at"]


def _assign(ticket: Ticket, actor: Actor, assignee: User | None, changes: Changes) -> None:
    before = _name(ticket.assignee)
    ticket.assignee = assignee
    changes.save(ticket, update_fields=["assignee", "updated_at"])
    changes.event(timeline.assigned(ticket=ticket, actor=actor, before=before, after=_name(assignee)))
    if assignee is not None:
        Watch.objects.get_or_create(ticket=ticket, user=assignee)


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor: Actor, assignee: User | None, record: Changes | None = None) -> Ticket:
    """Give the ticket to an agent of its queue (or to nobody)."""
    ticket = _locked(ticket)
    if not policies.may_work(actor, ticket):
        raise NotAllowed("Only agents of this ticket's queue may assign it.")
    if assignee is not None and not policies.may_work(assignee, ticket):
        raise InvalidChoice(f"{_name(assignee)} does not work the {ticket.queue.name} queue.")
    with recording(record) as changes:
        if ticket.assignee_id != (assignee.pk if assignee else None):
            _assign(ticket, actor, assignee, changes)
        acknowledged = _acknowledge_if_first(ticket, actor, timezone.now())
        if acknowledged:
            changes.save(ticket, update_fields=acknowledged)
    return ticket


@transaction.atomic
def ticket_escalate(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str,
    assignee: User | None = None,
    queue: Queue | None = None,
    record: Changes | None = None,
) -> Ticket:
    """One step up: to a colleague, another queue, or simply a louder level."""
    ticket = _locked(ticket)
    if not policies.may_work(actor, ticket):
        raise NotAllowed("Only agents of this ticket's queue may escalate it.")
    if not ticket.is_open:
        raise IllegalTransition(f"{ticket.reference} is {ticket.get_status_display().lower()}; reopen it first.")
    if not reason.strip():
        raise IllegalTransition("Say why the ticket is escalated.")
    with recording(record) as changes:
        _escalate(ticket, actor, reason.strip(), assignee, queue, changes)
    return ticket


def _escalate(
    ticket: Ticket, actor: Actor, reason: str, assignee: User | None, queue: Queue | None, changes: Changes
) -> None:
    ticket.escalation_level += 1
    fields = ["escalation_level", "updated_at", *_acknowledge_if_first(ticket, actor, timezone.now())]
    targets = []
    if queue is not None and queue.pk != ticket.queue_id:
        changes.event(
            timeline.field_changed(
                ticket=ticket, actor=actor, field="queue", label="Queue", before=ticket.queue.name, after=queue.name
            )
        )
        ticket.queue = queue
        fields.append("queue")
        targets.append(queue.name)
    changes.save(ticket, update_fields=fields)
    if assignee is not None:
        if not policies.may_work(assignee, ticket):
            raise InvalidChoice(f"{_name(assignee)} does not work the {ticket.queue.name} queue.")
        if assignee.pk != ticket.assignee_id:
            _assign(ticket, actor, assignee, changes)
        targets.append(_name(assignee))
    level = ticket.escalation_level
    changes.event(timeline.escalated(ticket=ticket, actor=actor, level=level, reason=reason, to=", ".join(targets)))


def comment_add(
    *,
    ticket: Ticket,
    author: Actor,
    body: str,
    is_internal: bool = False,
    attachments: Sequence[UploadedFile] = (),
    record: Changes | None = None,
) -> Comment:
    """A public reply or an internal note; a requester's reply brings a waiting ticket back to the agents."""
    with _files_deleted_on_error() as stored, transaction.atomic():
        ticket = _locked(ticket)
        body = body.strip()
        if not body:
            raise IllegalTransition("A comment needs some text.")
        if is_internal and not policies.may_read_internal(author):
            raise NotAllowed("Only agents may add internal notes.")
        if ticket.status == S.CLOSED and not policies.may_work(author, ticket):
            raise IllegalTransition(f"{ticket.reference} is closed; reopen it to add to it.")
        comment = Comment.objects.create(ticket=ticket, author=author, body=body, is_internal=is_internal)
        _attach(ticket=ticket, comment=comment, uploads=attachments, user=author, stored=stored)
        with recording(record) as changes:
            changes.event(timeline.commented(ticket=ticket, comment=comment))
            if ticket.status == S.WAITING_REQUESTER and author is not None and author.pk == ticket.requester_id:
                ticket.status = S.IN_PROGRESS
                changes.save(ticket, update_fields=["status", "updated_at"])
                changes.event(
                    timeline.status_changed(
                        ticket=ticket,
                        actor=author,
                        before=S.WAITING_REQUESTER.label,
                        after=S.IN_PROGRESS.label,
                        note="The requester replied.",
                    )
                )
            else:
                acknowledged = [] if is_internal else _acknowledge_if_first(ticket, author, comment.created_at)
                changes.save(ticket, update_fields=["updated_at", *acknowledged])
        return comment


@transaction.atomic
def watcher_set(*, ticket: Ticket, actor: Actor, user: User, watching: bool, record: Changes | None = None) -> None:
    """Follow or unfollow a ticket; agents may add others, anyone may add or remove themselves."""
    if user.pk != getattr(actor, "pk", None) and not policies.may_work(actor, ticket):
        raise NotAllowed("Only agents of this ticket's queue may add other watchers.")
    with recording(record) as changes:
        if watching:
            _, created = Watch.objects.get_or_create(ticket=ticket, user=user)
            if created:
                changes.event(timeline.watcher_added(ticket=ticket, actor=actor, watcher=_name(user)))
        elif Watch.objects.filter(ticket=ticket, user=user).delete()[0]:
            changes.event(timeline.watcher_removed(ticket=ticket, actor=actor, watcher=_name(user)))


def tickets_auto_close(*, now: datetime | None = None) -> int:
    """Close tickets resolved more than TICKET_AUTO_CLOSE_AFTER_DAYS ago; each in its own transaction."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TICKET_AUTO_CLOSE_AFTER_DAYS)
    closed = 0
    stale = Ticket.objects.filter(status=S.RESOLVED, resolved_at__lt=cutoff).only("pk").order_by("pk")
    for ticket in stale.iterator():
        try:
            ticket_transition(ticket=ticket, actor=None, action=Action.CLOSE, now=now)
        except IllegalTransition:
            continue  # reopened since the query ran
        closed += 1
    return closed


# The engineer's workspace: bulk changes, saved views, canned replies ------------------------------------------------

BULK_MAX = 100  # tickets in one bulk change: each goes through its service, so a request stays a few seconds at most


class BulkAction(models.TextChoices):
    ASSIGN_ME = "assign_me", "Assign to me"
    ASSIGN = "assign", "Assign to…"
    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    RESOLVE = "resolve", "Resolve"
    MOVE = "move", "Move to queue…"


@dataclass(frozen=True)
class BulkOutcome:
    updated: list[str]  # references
    skipped: list[tuple[str, str]]  # (reference or what was asked for, why)

    def summary(self) -> str:
        """“12 updated, 2 skipped: SD-14: …; SD-20: …”: what happened to each ticket asked for."""
        text = f"{len(self.updated)} updated"
        if self.skipped:
            reasons = "; ".join(f"{ref}: {why}" for ref, why in self.skipped)
            text += f", {len(self.skipped)} skipped: {reasons}"
        return text


def tickets_bulk_change(
    *,
    actor: User,
    ticket_ids: Sequence[int],
    action: str,
    assignee: User | None = None,
    queue: Queue | None = None,
    note: str = "",
) -> BulkOutcome:
    """One action on many tickets, each through the service and policy a single change uses, in its own
    transaction (as tickets_auto_close): a refused ticket is skipped with the reason and leaves the others done.
    Tickets the person may not see are neither touched nor told apart from tickets that do not exist."""
    if len(ticket_ids) > BULK_MAX:
        raise InvalidChoice(f"Select at most {BULK_MAX} tickets at a time; you selected {len(ticket_ids)}.")
    if action not in BulkAction.values:
        raise InvalidChoice(f"“{action}” is not a bulk action.")
    if action == BulkAction.ASSIGN and assignee is None:
        raise InvalidChoice("Choose whom to assign the tickets to.")
    if action == BulkAction.MOVE and queue is None:
        raise InvalidChoice("Choose the queue to move the tickets to.")
    wanted = sorted(set(ticket_ids))
    visible = set(
        Ticket.objects.filter(policies.sight_of(actor).q(), pk__in=wanted).values_list("pk", flat=True).order_by()
    )
    updated: list[str] = []
    skipped: list[tuple[str, str]] = []
    for pk in wanted:
        ref = f"{settings.TICKET_REFERENCE_PREFIX}-{pk}"
        if pk not in visible:
            skipped.append((ref, "no such ticket"))
            continue
        try:
            _bulk_apply(Ticket(pk=pk), actor, action, assignee, queue, note)
        except DomainError as exc:
            skipped.append((ref, str(exc)))
        else:
            updated.append(ref)
    return BulkOutcome(updated=updated, skipped=skipped)


def _bulk_apply(
    ticket: Ticket, actor: User, action: str, assignee: User | None, queue: Queue | None, note: str
) -> None:
    if action == BulkAction.ASSIGN_ME:
        ticket_assign(ticket=ticket, actor=actor, assignee=actor)
    elif action == BulkAction.ASSIGN:
        ticket_assign(ticket=ticket, actor=actor, assignee=assignee)
    elif action == BulkAction.MOVE:
        ticket_update(ticket=ticket, actor=actor, queue=queue)
    else:  # acknowledge, resolve: the workflow's actions of the same name
        ticket_transition(ticket=ticket, actor=actor, action=action, note=note)


def _view_sharing_check(owner: User, shared_with: Queue | None) -> None:
    sight = policies.sight_of(owner)
    if shared_with is not None and not sight.everything and shared_with.pk not in sight.queue_ids:
        raise NotAllowed(f"You may share a view only with a queue you work in, not {shared_with.name}.")


def _view_save(view: SavedView) -> SavedView:
    try:
        with transaction.atomic():  # a savepoint: the duplicate name is reported, the caller's transaction goes on
            view.save()
    except IntegrityError as exc:
        raise InvalidChoice(f"You already have a view called “{view.name}”.") from exc
    return view


@transaction.atomic
def saved_view_create(*, owner: User, name: str, query: str, shared_with: Queue | None = None) -> SavedView:
    """Keep the list's filters under a name; the query is checked by the list's filter form and kept without
    its page cursor."""
    _view_sharing_check(owner, shared_with)
    query = saved_query(query)
    if len(query) > cast(int, SavedView._meta.get_field("query").max_length):
        raise InvalidChoice("Those filters are too long to save; shorten the search.")
    view = SavedView(owner=owner, name=name.strip(), query=query, shared_with=shared_with)
    return _view_save(view)


@transaction.atomic
def saved_view_update(*, view: SavedView, actor: User, name: str, shared_with: Queue | None) -> SavedView:
    if view.owner_id != actor.pk:
        raise NotAllowed("Only the person who saved a view may change it.")
    _view_sharing_check(actor, shared_with)
    view.name, view.shared_with = name.strip(), shared_with
    return _view_save(view)


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor: User) -> None:
    if view.owner_id != actor.pk:
        raise NotAllowed("Only the person who saved a view may delete it.")
    view.delete()


def _reply_check(actor: User, reply: CannedReply) -> None:
    if reply.owner_id is None and not policies.may_keep_team_replies(actor):
        raise NotAllowed("Only admins and managers keep the team's replies.")
    if reply.owner_id is not None and reply.owner_id != actor.pk:
        raise NotAllowed("You may change only your own replies.")
    if not policies.works_tickets(actor):
        raise NotAllowed("Canned replies are for the people who work tickets.")


@transaction.atomic
def canned_reply_save(
    *,
    actor: User,
    title: str,
    body: str,
    queue: Queue | None = None,
    team: bool = False,
    reply: CannedReply | None = None,
) -> CannedReply:
    """Create a reply (``reply`` None) or change one: the team's (admins, managers) or the actor's own."""
    if reply is not None:
        _reply_check(actor, reply)  # may the actor change the reply as it is...
    reply = reply or CannedReply()
    reply.title, reply.body, reply.queue = title.strip(), body.strip(), queue
    reply.owner = None if team else actor
    _reply_check(actor, reply)  # ...and as it becomes
    if not reply.body:
        raise InvalidChoice("A canned reply needs some text.")
    reply.full_clean()
    reply.save()
    return reply


@transaction.atomic
def canned_reply_delete(*, actor: User, reply: CannedReply) -> None:
    _reply_check(actor, reply)
    reply.delete()
