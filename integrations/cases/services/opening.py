"""AWS Support cases: one per ticket, opened by a person or a rule, kept in step with AWS by a periodic sync.

AWS is called outside transactions. The case row is written first, in its own transaction: a second click, worker
or rule finds it and stops before AWS is asked. If the process dies after AWS opened the case but before its id was
stored, the row stays "opening" and the sync finds the case by the ticket reference in its subject, before anything
asks AWS again.
"""

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from accounts.types import Actor
from awsgateway import support
from awsgateway.clients import AccountAccess
from awsgateway.errors import RETRYABLE, AwsError, AwsUnavailable
from awsgateway.support import BODY_LIMIT, CC_LIMIT, CaseDetails, SupportService
from notifications.services import notify
from supportdesk.errors import DomainError
from tickets import policies
from tickets import services as ticket_services
from tickets.exceptions import NotAllowed
from tickets.models import Ticket
from tickets.selectors import queue_managers, ticket_pk, tickets_visible_to
from tickets.workflow import Action, transition_for

from ...accounts.models import ApiState, AwsAccount
from ...accounts.services import account_access
from ..models import CaseCommunication, CaseSeverity, IssueType, SupportCase

_SEVERITY_FOR_RANK = {1: "critical", 2: "urgent", 3: "high", 4: "normal"}  # the form's first guess; rank 1 is worst
AUTOMATIC_TOPIC = ("general-info", "using-aws")  # a rule knows no AWS service; AWS routes general cases itself
SUBJECT_LIMIT = 255
OPENING_GRACE = timedelta(minutes=10)  # longer than one attempt with all its retries: never race a live attempt
CLOCK_SKEW = timedelta(minutes=5)  # AWS's clock and ours

State = SupportCase.State
Summary = Callable[[SupportCase], str]  # the timeline's words, once the case has its number
Direction = CaseCommunication.Direction


class CaseRefused(DomainError):
    """No case can be opened: the account, its plan, or AWS said no."""


class CaseAlreadyOpen(CaseRefused):
    """The ticket has its case (or one is being opened); a ticket opens one case."""


class CaseFieldInvalid(DomainError):
    """One input is wrong; ``field`` names it, so forms and the API can put the message next to it."""

    field: str  # always one input, never None as in DomainError

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def severity_name(code: str) -> str:
    return CaseSeverity(code).label if code in CaseSeverity.values else code  # AWS may add codes


def severity_rank(code: str) -> int:
    """The ticket severity rank of an AWS severity code: the form's first guess, read the other way."""
    return next((rank for rank, c in _SEVERITY_FOR_RANK.items() if c == code), len(_SEVERITY_FOR_RANK) + 1)


# What the form, the API and the panel read


def case_ticket(*, user: User, reference: str) -> Ticket:
    """A ticket for the case form and API: 404 unless the user sees it and is support staff (not a requester)."""
    ticket = get_object_or_404(tickets_visible_to(user).select_related("severity"), pk=ticket_pk(reference))
    if not user.has_perm("integrations.view_awsaccount"):
        raise Http404("No such ticket.")
    return ticket


def case_account(ticket: Ticket) -> AwsAccount | None:
    if not ticket.aws_account_id:
        return None
    return AwsAccount.objects.filter(account_id=ticket.aws_account_id, enabled=True).first()


def case_refusal(*, ticket: Ticket, account: AwsAccount | None, case: SupportCase | None = None) -> str:
    """Why no case can be opened for the ticket (given its account and case, if any), in words; empty when one can."""
    if case is not None and case.state != State.FAILED:
        return _already(ticket, case)
    if account is None:
        return f"{ticket.reference} names no AWS account that Supportdesk watches."
    if account.support_api == ApiState.PLAN_TOO_LOW or (
        account.support_api == ApiState.AVAILABLE and not account.case_severities
    ):
        return (
            f"{account.name}'s support plan does not let Supportdesk open AWS Support cases: Basic and Developer "
            "plans have no Support API. Open the case in the AWS Support Center (on Basic, account and billing "
            "cases only; technical cases need Developer or higher), or move the account to a Business-level plan."
        )
    if account.support_api != ApiState.AVAILABLE:
        why = account.capability_note or account.get_support_api_display()
        return f"Supportdesk cannot use the AWS Support API for {account.name}: {why}"
    return ""


def case_services(*, account: AwsAccount, issue_type: str = IssueType.TECHNICAL) -> list[SupportService]:
    """The services and categories AWS offers the account for cases of ``issue_type`` (cached a day by the
    gateway)."""
    return [s for s in support.support_services(account_access(account)) if s.issue_type == issue_type]


@dataclass(frozen=True)
class CaseDraft:
    subject: str
    body: str
    severity_code: str


def case_draft(*, ticket: Ticket, account: AwsAccount, preface: str = "") -> CaseDraft:
    """What the form starts with, and what a rule sends: the ticket's words, where it runs, and a link back."""
    link = f"{settings.SITE_URL}{ticket.get_absolute_url()}"
    footer = "\n".join(
        [
            "",
            f"Environment: {ticket.get_environment_display() or 'not given'}",
            f"AWS account: {account.account_id} ({account.name})",
            f"Supportdesk ticket: {ticket.reference} {link}",
        ]
    )
    text = (preface + (ticket.description or ticket.title).strip())[: BODY_LIMIT - len(footer) - 1]
    wanted = _SEVERITY_FOR_RANK.get(ticket.severity.rank, "low")
    severity = _highest_allowed(account, wanted) or account.case_severities[0]
    return CaseDraft(subject=_subject(ticket, ticket.title), body=f"{text}\n{footer}", severity_code=severity)


def case_tag(ticket: Ticket) -> str:
    return f"[{ticket.reference}]"


def _subject(ticket: Ticket, text: str) -> str:
    # The reference leads every subject: it is how the sync finds a case whose id was never stored
    text = text.strip()
    if not text.startswith(case_tag(ticket)):
        text = f"{case_tag(ticket)} {text}"
    return text[:SUBJECT_LIMIT]


def _highest_allowed(account: AwsAccount, wanted: str) -> str | None:
    """The most severe code the account offers that is not above ``wanted``."""
    ranks = CaseSeverity.values
    allowed = [c for c in account.case_severities if c in ranks and ranks.index(c) <= ranks.index(wanted)]
    return max(allowed, key=ranks.index, default=None)


# Opening


def support_case_open(
    *,
    ticket: Ticket,
    actor: Actor,
    service_code: str,
    category_code: str,
    severity_code: str,
    subject: str,
    body: str,
    cc_emails: Sequence[str] = (),
    issue_type: str = IssueType.TECHNICAL,
) -> SupportCase:
    """Open the ticket's AWS Support case. Returns it open, or still "opening" when AWS did not answer (the sync
    then finds it, or opens it). Refuses with a sentence when the plan, the input or an existing case says no."""
    if actor is not None and not policies.may_work(actor, ticket):
        raise NotAllowed("Only agents of this ticket's queue may escalate it to AWS.")
    return _open(
        ticket=ticket,
        actor=actor,
        service_code=service_code,
        category_code=category_code,
        severity_code=severity_code,
        subject=subject,
        body=body,
        cc_emails=cc_emails,
        issue_type=issue_type,
    )


def support_case_open_automatically(*, ticket: Ticket, wanted_severity: str, reason: str) -> SupportCase | None:
    """For rules and escalation: open a case at the highest severity the plan allows up to ``wanted_severity``, or
    none when the plan has no Support API. The ticket says so plainly either way. A case already there is returned."""
    if wanted_severity not in CaseSeverity.values:
        raise ValueError(f"Not an AWS severity code: {wanted_severity}")
    existing = SupportCase.objects.filter(ticket=ticket).exclude(state=State.FAILED).first()
    if existing is not None:
        return existing
    account = case_account(ticket)
    refusal = case_refusal(ticket=ticket, account=account)
    if refusal:
        _refused_automatically(ticket, reason, refusal)
        return None
    assert account is not None  # case_refusal refuses a ticket without one
    severity = _highest_allowed(account, wanted_severity)
    if severity is None:
        _refused_automatically(ticket, reason, f"{account.name} offers no severity up to {wanted_severity}.")
        return None
    note = ""
    if severity != wanted_severity:
        note = (
            f"Opened as “{severity_name(severity)}”, not “{severity_name(wanted_severity)}” as “{reason}” asked: "
            f"{account.name}'s support plan ({account.get_support_plan_display()}) does not offer "
            f"“{severity_name(wanted_severity)}”."
        )
    draft = case_draft(ticket=ticket, account=account, preface=f"Opened by Supportdesk for: {reason}\n\n")
    try:
        service_code, category_code = _automatic_topic(account)
        return _open(
            ticket=ticket,
            actor=None,
            service_code=service_code,
            category_code=category_code,
            severity_code=severity,
            subject=draft.subject,
            body=draft.body,
            note=note,
            why=f" for “{reason}”",
        )
    except CaseAlreadyOpen:  # a person or another worker got there first
        return SupportCase.objects.filter(ticket=ticket).first()
    except CaseRefused:  # AWS refused the case; the ticket already says why
        return None
    except RETRYABLE:
        raise
    except AwsError as exc:  # AWS would not list its services: nothing was asked of it
        _refused_automatically(ticket, reason, f"AWS did not list its services: {exc}")
        return None


def _automatic_topic(account: AwsAccount) -> tuple[str, str]:
    offered = [(s.code, code) for s in case_services(account=account) for code, _ in s.categories]
    if AUTOMATIC_TOPIC in offered or not offered:
        return AUTOMATIC_TOPIC
    return offered[0]


@transaction.atomic
def _refused_automatically(ticket: Ticket, reason: str, refusal: str) -> None:
    ticket_services.ticket_aws_case_note(
        ticket=ticket, actor=None, summary=f"No case was opened for “{reason}”: {refusal}"
    )
    _managers_told(
        ticket, f"No AWS Support case was opened for “{reason}”: {refusal}", key=f"aws-case:none:{ticket.pk}"
    )


def _managers_told(ticket: Ticket, reason: str, *, key: str) -> None:
    # The queue's channels hear of every case entry on the timeline; its managers hear when a rule got less
    notify(ticket=ticket, reason=reason, key=key, channels=(), users=queue_managers(queue=ticket.queue))


def _open(
    *,
    ticket: Ticket,
    actor: Actor,
    service_code,
    category_code,
    severity_code,
    subject,
    body,
    cc_emails=(),
    issue_type=IssueType.TECHNICAL,
    note="",
    why="",
) -> SupportCase:
    account = case_account(ticket)
    refusal = case_refusal(ticket=ticket, account=account)
    if refusal:
        raise CaseRefused(refusal)
    assert account is not None  # case_refusal refuses a ticket without one
    fields = _checked(account, ticket, issue_type, service_code, category_code, severity_code, subject, body, cc_emails)
    case = _claim(ticket=ticket, account=account, actor=actor, note=note, **fields)
    severity = severity_name(case.severity_code)
    return _create_at_aws(case, actor=actor, summary=lambda c: f"Opened case {c} as “{severity}”{why}.")


def _checked(account, ticket, issue_type, service_code, category_code, severity_code, subject, body, cc_emails) -> dict:
    if issue_type not in IssueType.values:
        raise CaseFieldInvalid("issue_type", f"“{issue_type}” is not an issue type: {' or '.join(IssueType.values)}.")
    if severity_code not in account.case_severities:
        offered = ", ".join(f"“{severity_name(c)}”" for c in account.case_severities)
        message = f"{account.name}'s support plan offers {offered}, not “{severity_code}”."
        raise CaseFieldInvalid("severity_code", message)
    services = case_services(account=account, issue_type=issue_type)
    categories = {s.code: {code for code, _ in s.categories} for s in services}
    if service_code not in categories:
        kind = IssueType(issue_type).label.lower()
        raise CaseFieldInvalid("service_code", f"AWS lists no {kind} service “{service_code}” for {account.name}.")
    if category_code not in categories[service_code]:
        raise CaseFieldInvalid("category_code", f"“{category_code}” is not a category of {service_code}.")
    body = body.strip()
    if not body or len(body) > BODY_LIMIT:
        raise CaseFieldInvalid("body", f"Say what is wrong, in at most {BODY_LIMIT} characters.")
    if not subject.strip():
        raise CaseFieldInvalid("subject", "A case needs a subject.")
    cc = list(dict.fromkeys(e.strip().lower() for e in cc_emails if e.strip()))
    if len(cc) > CC_LIMIT:
        raise CaseFieldInvalid("cc_emails", f"AWS takes at most {CC_LIMIT} cc addresses.")
    for email in cc:
        try:
            validate_email(email)
        except ValidationError:
            raise CaseFieldInvalid("cc_emails", f"“{email}” is not an email address.") from None
    return {
        "issue_type": issue_type,
        "service_code": service_code,
        "category_code": category_code,
        "severity_code": severity_code,
        "subject": _subject(ticket, subject),
        "body": body,
        "cc": cc,
    }


@transaction.atomic
def _claim(*, ticket: Ticket, account: AwsAccount, actor: Actor, note: str, **fields) -> SupportCase:
    """The case row, written before AWS is asked; a case that failed before is taken up again."""
    values = {
        "account": account,
        "state": State.OPENING,
        "opened_by": actor,
        "note": note,
        "error": "",
        "opened_at": timezone.now(),
        "last_synced_at": timezone.now(),
        **fields,  # an attempt is under way
    }
    case = SupportCase.objects.select_for_update().filter(ticket=ticket).first()
    if case is None:
        try:
            with transaction.atomic():  # the loser of a race waits on the unique ticket, then reads the winner's row
                return SupportCase.objects.create(ticket=ticket, **values)
        except IntegrityError:
            case = SupportCase.objects.select_for_update().get(ticket=ticket)
    if case.state != State.FAILED:
        raise CaseAlreadyOpen(_already(ticket, case))
    for name, value in values.items():
        setattr(case, name, value)
    case.save()
    return case


def _already(ticket: Ticket, case: SupportCase) -> str:
    if case.state == State.OPENING:
        return f"An AWS Support case is already being opened for {ticket.reference}."
    if case.state == State.RESOLVED:
        return f"{ticket.reference} already had AWS Support case {case}, now resolved; a ticket opens one case."
    return f"A case is already open for {ticket.reference}: {case}."


def _create_at_aws(case: SupportCase, *, actor: Actor, summary: Summary) -> SupportCase:
    access = account_access(case.account)
    try:
        case_id = support.create_case(
            access,
            subject=case.subject,
            body=case.body,
            service_code=case.service_code,
            category_code=case.category_code,
            severity_code=case.severity_code,
            cc_emails=case.cc,
            issue_type=case.issue_type,
        )
    except AwsUnavailable as exc:  # AWS may have opened it: only the sync, having looked, asks again
        note = f"{exc} Supportdesk looks for the case at AWS, and opens it if AWS never got it."
        SupportCase.objects.filter(pk=case.pk).update(error=note[:500], last_synced_at=None)  # the attempt is over
        case.refresh_from_db()
        return case
    except AwsError as exc:
        _failed(case, actor, exc)
        if isinstance(exc, RETRYABLE):
            raise  # throttled: AWS opened nothing; a task retries, a person tries again
        raise CaseRefused(f"AWS did not open the case: {exc}") from exc
    return _opened(case, case_id=case_id, details=_details(access, case_id), actor=actor, summary=summary)


def _details(access: AccountAccess, case_id: str) -> CaseDetails | None:
    """The case number people quote, and the status; the next sync fills them in if AWS does not answer now."""
    try:
        return next(support.cases(access, [case_id]), None)
    except AwsError:
        return None


@transaction.atomic
def _failed(case: SupportCase, actor: Actor, exc: AwsError) -> None:
    SupportCase.objects.filter(pk=case.pk).update(state=State.FAILED, error=str(exc)[:500], last_synced_at=None)
    case.refresh_from_db()
    ticket_services.ticket_aws_case_note(ticket=case.ticket, actor=actor, summary=f"AWS did not open the case: {exc}")


@transaction.atomic
def _opened(
    case: SupportCase, *, case_id: str, details: CaseDetails | None, actor: Actor, summary: Summary
) -> SupportCase:
    """Store AWS's id, put the ticket to waiting on AWS and say so; the opening message goes in as sent."""
    case = SupportCase.objects.select_for_update().select_related("ticket", "account").get(pk=case.pk)
    if case.case_id:
        return case  # a slow attempt whose case the sync already found
    case.case_id, case.state, case.error = case_id, State.OPEN, ""
    case.display_id = details.display_id if details else ""
    case.status = details.status if details else "opened"
    case.last_synced_at = timezone.now()
    case.save()
    CaseCommunication.objects.create(
        case=case,
        direction=Direction.OUT,
        body=case.body,
        submitted_by=person_name(case.opened_by),
        sent_at=case.opened_at,
    )
    ticket = Ticket.objects.select_for_update().get(pk=case.ticket_id)  # its status, as the transition will see it
    if transition_for(Action.WAIT_ON_AWS, ticket.status):
        ticket = ticket_services.ticket_transition(ticket=ticket, actor=actor, action=Action.WAIT_ON_AWS)
    lines = [
        f"Subject: {case.subject}",
        f"Service: {case.service_code} / {case.category_code} ({case.get_issue_type_display().lower()})",
    ]
    ticket_services.ticket_aws_case_note(
        ticket=ticket,
        actor=actor,
        summary=summary(case),
        case_id=case_id,
        lines=[*lines, *([case.note] if case.note else [])],
    )
    if case.note:  # only a rule's case has one: it got a lower severity than it asked for
        _managers_told(
            ticket, f"AWS Support case {case} opened lower than asked. {case.note}", key=f"aws-case:{case.pk}"
        )
    return case


def person_name(user: User | None) -> str:
    return user.display_name if user is not None else "Supportdesk"


def support_case_recover(*, case: SupportCase, now: datetime) -> None:
    """A case whose opening was cut short (the process died, or AWS did not answer): adopt the case AWS has for the
    ticket, found by the reference in its subject; only when AWS has none, open it now."""
    before = case.last_synced_at
    attempt = SupportCase.objects.filter(pk=case.pk, state=State.OPENING)
    attempt = attempt.filter(last_synced_at=before) if before else attempt.filter(last_synced_at__isnull=True)
    if not attempt.update(last_synced_at=now):
        return  # another sync took it
    tag = case_tag(case.ticket)
    opened_since = support.cases_since(account_access(case.account), case.opened_at - CLOCK_SKEW)
    found = next((d for d in opened_since if d.subject.startswith(tag)), None)
    if found is not None:
        _opened(
            case,
            case_id=found.case_id,
            details=found,
            actor=None,
            summary=lambda c: f"Found case {c} at AWS, opened before Supportdesk could record it.",
        )
        return
    with suppress(CaseRefused):  # AWS said no: the case and the timeline say why
        _create_at_aws(case, actor=None, summary=lambda c: f"Opened case {c}, which AWS had never received.")
