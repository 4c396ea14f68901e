"""The periodic sync of AWS Support cases with AWS (opening.py opens them).

AWS's status and new messages come in; public comments go out through an outbox, each once; a resolution on
either side resolves the other. AWS is called outside transactions, except to send one outbox row while it is locked.
"""

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from awsgateway import support
from awsgateway.clients import AccountAccess
from awsgateway.errors import RETRYABLE, AwsError, AwsNotFound
from awsgateway.support import BODY_LIMIT, CaseDetails
from tickets import services as ticket_services
from tickets.models import Comment, Ticket
from tickets.workflow import Action, transition_for

from ...accounts.models import AwsAccount
from ...accounts.services import account_access
from ..models import CaseCommunication, SupportCase
from .opening import CLOCK_SKEW, OPENING_GRACE, person_name, support_case_recover

MESSAGES_OVERLAP = timedelta(minutes=5)  # re-read a little; each message is recorded once by its key
TIMELINE_LINES = 60
AWS_SENDER = "Amazon Web Services"

State = SupportCase.State
Direction = CaseCommunication.Direction


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
    live = list(account.support_cases.filter(state=State.OPEN).select_related("ticket", "account"))
    described = _described(access, live)
    for case in live:
        if case.case_id not in described:
            continue
        with _case_errors(case):
            _messages_in(case, access)
            _messages_out(case, access)
            _resolution(case, described[case.case_id], access, now)
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
def _messages_record(case: SupportCase, items: Iterable[support.Communication]) -> None:
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
