"""The periodic sync of AWS Support cases with AWS (opening.py opens them).

AWS's status and new messages come in; public comments go out through an outbox, each once; a resolution on
either side resolves the other. Cases opened outside Supportdesk (in the console, or by AWS itself) are found and
filed as tickets, once each, and followed from then on like the others. AWS is called outside transactions, except
to send one outbox row while it is locked.
"""

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from awsgateway import support
from awsgateway.clients import AccountAccess
from awsgateway.errors import RETRYABLE, AwsError, AwsNotFound
from awsgateway.support import BODY_LIMIT, CaseDetails
from tickets import services as ticket_services
from tickets.models import Comment, Ticket
from tickets.reactions import Changes
from tickets.workflow import Action, transition_for

from ...accounts.models import ApiState, AwsAccount
from ...accounts.polls import chunks
from ...accounts.services import account_access
from ...ticketing import services as ticketing
from ..models import CaseCommunication, SupportCase
from .opening import (
    CLOCK_SKEW,
    OPENING_GRACE,
    case_tag,
    person_name,
    severity_name,
    severity_rank,
    support_case_recover,
)

MESSAGES_OVERLAP = timedelta(minutes=5)  # re-read a little; each message is recorded once by its key
TIMELINE_LINES = 60
AWS_SENDER = "Amazon Web Services"
FOUND_OVERLAP = timedelta(minutes=15)  # cases are looked for since the last look, less this: AWS's clock and ours
_FOUND_CHUNK = 100  # cases checked against the database at a time
_ADDRESS = re.compile(r"<([^<>\s]+@[^<>\s]+)>\s*$|^([^<>\s]+@[^<>\s]+)$")  # "Role (Role) <a@b>" or "a@b"

State = SupportCase.State
Direction = CaseCommunication.Direction
Origin = SupportCase.Origin
logger = logging.getLogger(__name__)


def support_cases_sync(*, account: AwsAccount, now: datetime | None = None) -> int:
    """Bring one account's cases in step with AWS; returns how many open cases were read.

    Cases left "opening" are found at AWS (or opened, if AWS never got them); open ones take AWS's status, AWS's
    new messages go to the ticket's timeline, public comments go to AWS once each, and a resolution on either
    side resolves the other."""
    now = now or timezone.now()
    access = account_access(account)
    idle = Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=now - OPENING_GRACE)
    for case in account.support_cases.filter(idle, state=State.OPENING).select_related("ticket", "account"):
        with _case_errors(case):
            support_case_recover(case=case, now=now)
    live = list(account.support_cases.filter(state=State.OPEN).select_related("ticket", "account").order_by("pk"))
    described = _described(access, live)
    for case in live:
        if case.case_id not in described:
            continue
        with _case_errors(case):
            _messages_in(case, access)
            _messages_out(case, access)
            _resolution(case, described[case.case_id], access, now)
    if account.support_api == ApiState.AVAILABLE:  # listing cases needs the API, as opening them does
        _cases_found(account, access, now)
    return len(described)


def _aws_id(case: SupportCase) -> str:
    """AWS's id of a case the sync reads: an open case has it (_opened stores it as the state becomes open)."""
    assert case.case_id is not None
    return case.case_id


@contextmanager
def _case_errors(case: SupportCase) -> Iterator[None]:
    """A case AWS refuses to talk about keeps the reason and stops only itself; throttling stops the sync (retried)."""
    try:
        yield
    except RETRYABLE:
        raise
    except AwsError as exc:
        SupportCase.objects.filter(pk=case.pk).update(error=str(exc)[:500])


def _described(access: AccountAccess, cases: list[SupportCase]) -> dict[str, CaseDetails]:
    ids = [_aws_id(c) for c in cases]
    try:
        return {d.case_id: d for d in support.cases(access, ids)}
    except AwsNotFound:
        pass  # one id AWS does not know fails the whole call: ask one by one, and say which
    found = {}
    for case in cases:
        try:
            found.update({d.case_id: d for d in support.cases(access, [_aws_id(case)])})
        except AwsNotFound as exc:
            SupportCase.objects.filter(pk=case.pk).update(error=str(exc)[:500])
    return found


def _key(item: support.Communication) -> str:
    stamp = item.time_created.isoformat() if item.time_created else ""
    return hashlib.sha256(f"{item.submitted_by}\n{stamp}\n{item.body}".encode()).hexdigest()


def _plain(text: str) -> str:
    return " ".join(text.split())  # AWS may change line ends and trailing spaces


def _messages_in(case: SupportCase, access: AccountAccess) -> None:
    latest = case.communications.exclude(aws_key="").aggregate(at=Max("time_created"))["at"]
    since = latest - MESSAGES_OVERLAP if latest else case.opened_at - CLOCK_SKEW
    items = list(support.communications(access, _aws_id(case), since=since))
    if items:
        _messages_record(case, items)


@transaction.atomic
def _messages_record(case: SupportCase, items: Iterable[support.Communication], record: Changes | None = None) -> None:
    """AWS's new messages, oldest first, each once; those the portal sent are marked seen, not repeated."""
    SupportCase.objects.select_for_update().filter(pk=case.pk).first()  # one sync writes a case's messages
    known = set(case.communications.exclude(aws_key="").values_list("aws_key", flat=True))
    ours = {_plain(c.body): c for c in case.communications.filter(direction=Direction.OUT, aws_key="")}
    for item in sorted(items, key=lambda c: (c.time_created is None, c.time_created)):
        key = _key(item)
        if key in known:
            continue
        known.add(key)
        sent = ours.pop(_plain(item.body), None)
        if sent is not None:
            sent.aws_key, sent.time_created = key, item.time_created
            sent.save(update_fields=["aws_key", "time_created"])
            continue
        CaseCommunication.objects.create(
            case=case,
            direction=Direction.IN,
            body=item.body,
            submitted_by=item.submitted_by[:320],
            time_created=item.time_created,
            aws_key=key,
        )
        who = "AWS replied" if item.submitted_by == AWS_SENDER else f"{item.submitted_by} wrote at AWS"
        ticket_services.ticket_aws_case_note(
            ticket=case.ticket,
            actor=None,
            summary=f"{who} on case {case}.",
            case_id=_aws_id(case),
            lines=item.body.splitlines()[:TIMELINE_LINES],
            aws_replied=True,
            record=record,
        )


def _messages_out(case: SupportCase, access: AccountAccess) -> None:
    _outbox_fill(case)
    unsent = case.communications.filter(direction=Direction.OUT, sent_at__isnull=True)
    for row_id in unsent.values_list("pk", flat=True):
        _outbox_send(row_id, access)


def _outbox_fill(case: SupportCase) -> None:
    """A row for each public comment made since the case opened; the unique comment keeps each one row."""
    queued = CaseCommunication.objects.filter(case=case, comment__isnull=False).values("comment_id")
    comments = (
        Comment.objects.filter(ticket_id=case.ticket_id, is_internal=False, created_at__gte=case.opened_at)
        .exclude(pk__in=queued)
        .select_related("author")
        .order_by("pk")
    )
    rows = []
    for comment in comments:
        text = f"{person_name(comment.author)} wrote in Supportdesk ({case.ticket.reference}):\n\n{comment.body}"
        body = text if len(text) <= BODY_LIMIT else f"{text[: BODY_LIMIT - 1]}…"
        rows.append(
            CaseCommunication(
                case=case,
                direction=Direction.OUT,
                body=body,
                comment=comment,
                submitted_by=person_name(comment.author)[:320],
            )
        )
    CaseCommunication.objects.bulk_create(rows, ignore_conflicts=True)  # a concurrent sync may have added them


@transaction.atomic
def _outbox_send(row_id: int, access: AccountAccess) -> None:
    row = (
        CaseCommunication.objects.select_for_update(skip_locked=True)
        .filter(pk=row_id, sent_at__isnull=True)
        .select_related("case")
        .first()
    )
    if row is None:
        return  # sent, or another worker holds it
    # A crash after AWS took it and before this commits sends it again: AWS has no idempotency key for messages
    support.add_communication(access, _aws_id(row.case), row.body)
    row.sent_at = timezone.now()
    row.save(update_fields=["sent_at"])


def _resolution(case: SupportCase, details: CaseDetails, access: AccountAccess, now: datetime) -> None:
    ticket = case.ticket
    if ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        if details.status != "resolved":
            support.resolve_case(access, _aws_id(case))
        status = ticket.get_status_display().lower()
        summary = f"Resolved case {case} at AWS, as {ticket.reference} is {status}."
        _case_resolved(case, now, summary=summary, resolve_ticket=False)
    elif details.status == "resolved":
        _case_resolved(case, now, summary=f"AWS resolved case {case}.", resolve_ticket=True)
    else:
        SupportCase.objects.filter(pk=case.pk).update(status=details.status, last_synced_at=now, error="")


@transaction.atomic
def _case_resolved(case: SupportCase, now: datetime, *, summary: str, resolve_ticket: bool) -> None:
    case = SupportCase.objects.select_for_update().select_related("ticket").get(pk=case.pk)
    if case.state != State.OPEN:
        return
    case.state, case.status, case.last_synced_at, case.error = State.RESOLVED, "resolved", now, ""
    case.save(update_fields=["state", "status", "last_synced_at", "error"])
    ticket = case.ticket
    if resolve_ticket and transition_for(Action.RESOLVE, ticket.status):
        ticket = ticket_services.ticket_transition(ticket=ticket, actor=None, action=Action.RESOLVE, note=summary)
    ticket_services.ticket_aws_case_note(ticket=ticket, actor=None, summary=summary, case_id=_aws_id(case))


# Cases opened outside Supportdesk


def _cases_found(account: AwsAccount, access: AccountAccess, now: datetime) -> None:
    """File a ticket for each open case of the account that Supportdesk did not open, with its messages.

    The first look takes every open case; later ones those opened since the last look (less an overlap). The
    look moves on only once every case it listed is filed: a case whose messages AWS would not give is tried again
    at the next sync. A throttled or unreachable AWS stops the sync, which the task retries."""
    since = account.cases_cursor - FOUND_OVERLAP if account.cases_cursor else None
    complete = True
    try:
        for chunk in chunks(support.open_cases(access, after=since), _FOUND_CHUNK):
            for details in _not_ours(account, chunk):
                complete &= _case_found(account, access, details, now)
    except RETRYABLE:
        raise
    except AwsError as exc:  # a permission missing, say: the cases Supportdesk opened are followed all the same
        logger.warning("Could not list the AWS Support cases of %s: %s", account, exc)
        return
    if complete:
        AwsAccount.objects.filter(pk=account.pk).update(cases_cursor=now)


def _not_ours(account: AwsAccount, cases: list[CaseDetails]) -> list[CaseDetails]:
    """The listed cases no row knows. Read after AWS listed them: a case being opened from a ticket has its row
    (written before AWS is asked) and, until its id is stored, the ticket's reference leading its subject."""
    rows = SupportCase.objects.filter(
        Q(case_id__in=[d.case_id for d in cases]) | Q(account=account, state=State.OPENING)
    ).select_related("ticket")
    known = {row.case_id for row in rows}
    opening = tuple(case_tag(row.ticket) for row in rows if row.state == State.OPENING)
    return [d for d in cases if d.case_id not in known and not (opening and d.subject.startswith(opening))]


def _case_found(account: AwsAccount, access: AccountAccess, details: CaseDetails, now: datetime) -> bool:
    try:
        items = list(support.communications(access, details.case_id, since=None))
    except RETRYABLE:
        raise
    except AwsError as exc:
        logger.warning("Could not read the messages of AWS Support case %s: %s", details.case_id, exc)
        return False
    with suppress(IntegrityError):  # another sync filed it first: its row holds the case id
        _case_file(account, details, items, now)
    return True


def _opened_by_aws(details: CaseDetails, oldest: support.Communication | None) -> bool:
    # AWS signs its own messages "Amazon Web Services" (docs/aws.md#cases-opened-outside-supportdesk)
    return AWS_SENDER in (details.submitted_by, oldest.submitted_by if oldest else "")


def _requester(submitted_by: str):
    """The person who opened the case, when they are a Supportdesk user; else the AWS requester."""
    found = _ADDRESS.search(submitted_by.strip())
    address = (found[1] or found[2]) if found else ""
    person = get_user_model().objects.filter(email__iexact=address, is_active=True).first() if address else None
    return person or ticketing.aws_requester()


@transaction.atomic
def _case_file(
    account: AwsAccount, details: CaseDetails, items: list[support.Communication], now: datetime
) -> SupportCase:
    """The case's ticket and row, its first message as the ticket's description and the others on the timeline."""
    items = sorted(items, key=lambda c: (c.time_created is None, c.time_created))
    first = items[0] if items else None
    by_aws = _opened_by_aws(details, first)
    # Not later than now: public comments from the filing on go to AWS, even if AWS's clock runs ahead of ours
    opened_at = min(details.time_created or (first.time_created if first else None) or now, now)
    number = details.display_id or details.case_id
    who = "AWS" if by_aws else (details.submitted_by or "someone outside Supportdesk")
    facts = [
        f"AWS Support case {number}, opened by {who} on {opened_at:%Y-%m-%d %H:%M %Z}.",
        f"Service: {details.service_code or '—'} / {details.category_code or '—'}"
        f" · Severity: {severity_name(details.severity_code) if details.severity_code else '—'}",
        f"Case id: {details.case_id}",
    ]
    text = first.body.strip() if first else ""
    filed = Changes()
    new = ticketing.new_ticket(
        account=account,
        kind=Ticket.Kind.INCIDENT if by_aws else Ticket.Kind.SERVICE_REQUEST,
        title=f"AWS Support case {number}: {details.subject}",
        description="\n\n".join(filter(None, [text[:BODY_LIMIT], "\n".join(facts)])),
        rank=severity_rank(details.severity_code),
        queue=account.owner_queue,
        tags=["aws-support-case", "opened-by-aws" if by_aws else "opened-outside-supportdesk"],
        requester=ticketing.aws_requester() if by_aws else _requester(details.submitted_by),
    )
    [ticket] = ticket_services.tickets_create(new=[new], record=filed)
    case = SupportCase.objects.create(  # the unique case id: a second sync filing it too fails here, and rolls back
        ticket=ticket,
        account=account,
        case_id=details.case_id,
        display_id=details.display_id[:30],
        state=State.OPEN,
        status=details.status,
        severity_code=details.severity_code[:20],
        issue_type=support.issue_type_of(details.service_code),
        origin=Origin.AWS if by_aws else Origin.CONSOLE,
        service_code=details.service_code[:100],
        category_code=details.category_code[:100],
        subject=details.subject[:255],
        body=text,
        opened_at=opened_at,
        last_synced_at=now,
    )
    if first is not None:  # the description: recorded as read, not repeated on the timeline
        CaseCommunication.objects.create(
            case=case,
            direction=Direction.IN,
            body=first.body,
            submitted_by=first.submitted_by[:320],
            time_created=first.time_created,
            aws_key=_key(first),
        )
    _messages_record(case, items[1:], record=filed)
    ticketing.tickets_linked(filed)
    return case
