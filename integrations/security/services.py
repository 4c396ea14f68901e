"""Security Hub and GuardDuty findings: one row and at most one ticket per (finding Id, account).

Polls and pushes both end in ``security_findings_record``. A finding is open while it is ACTIVE, its workflow NEW
or NOTIFIED, its control not PASSED, and its severity above INFORMATIONAL; only an open finding files a ticket, and
its ticket resolves when it stops being open (archived, resolved, suppressed, passed) and reopens when it returns.
When an agent resolves the ticket, accounts that allow it get the finding marked RESOLVED in Security Hub.
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from awsgateway import securityhub
from awsgateway.errors import RETRYABLE, AwsError
from tickets.models import Ticket
from tickets.services import NewTicket

from ..accounts.models import AwsAccount, Source
from ..accounts.polls import PollCounts, chunks, poll_recorded
from ..accounts.services import account_access
from ..ticketing import services as ticketing
from ..ticketing.models import TagRoute
from .models import SecurityFinding

SOURCE = "Security Hub"
# Severity labels as ticket ranks (1 = most severe; the configured severity nearest wins). INFORMATIONAL opens no
# ticket: Security Hub labels passed controls and notes so, and they ask nothing of anyone.
RANKS = {"CRITICAL": 1, "HIGH": 2, "MEDIUM": 3, "LOW": 4}
_LIVE_WORKFLOWS = frozenset({"NEW", "NOTIFIED"})
CURSOR_OVERLAP = timedelta(minutes=15)  # AWS may stamp an update a little before GetFindings shows it
WRITE_BACK_LOST_AFTER = timedelta(minutes=15)  # past the task's own retries: the sweep queues it again
_CHUNK = 100  # findings per transaction, a GetFindings page
_FIELDS = [
    "product_arn",
    "product",
    "region",
    "title",
    "severity_label",
    "workflow_status",
    "record_state",
    "compliance_status",
    "aws_updated_at",
    "ticket",
]


def is_open(finding: securityhub.SecurityFinding | SecurityFinding) -> bool:
    return (
        finding.record_state == "ACTIVE"
        and finding.workflow_status in _LIVE_WORKFLOWS
        and finding.compliance_status != "PASSED"
        and finding.severity_label in RANKS
    )


def _state(f: securityhub.SecurityFinding | SecurityFinding) -> tuple[str, ...]:
    return (f.title, f.severity_label, f.workflow_status, f.record_state, f.compliance_status)


def _changes(row: SecurityFinding, f: securityhub.SecurityFinding) -> list[str]:
    names = ("Title", "Severity", "Workflow", "Record state", "Compliance")
    return [
        f"{name}: {before or '—'} → {after or '—'}"
        for name, before, after in zip(names, _state(row), _state(f), strict=True)
        if before != after
    ]


def _description(f: securityhub.SecurityFinding) -> str:
    lines = [
        f.description.strip() or f.title,
        "",
        f"Product: {f.product} · Severity: {f.severity_label} · Region: {f.region or '—'}",
    ]
    if f.compliance_status:
        lines.append(f"Compliance: {f.compliance_status}")
    if f.types:
        lines.append(f"Types: {', '.join(f.types)}")
    if f.resources:
        lines += ["", "Resources:"] + [f"- {r.type} {r.id}".rstrip() for r in f.resources]
    if f.remediation_url:
        lines += ["", f"Remediation: {f.remediation_url}"]
    lines += ["", f"Finding: {f.id}"]
    return "\n".join(lines)


def _new_ticket(
    account: AwsAccount, f: securityhub.SecurityFinding, requester: User, routes: list[TagRoute]
) -> NewTicket:
    return ticketing.new_ticket(
        account=account,
        kind=Ticket.Kind.AWS_FINDING,
        title=f"{f.product}: {f.title or (f.types[0] if f.types else f.id)} ({account.name})",
        description=_description(f),
        rank=RANKS[f.severity_label],
        queue=ticketing.queue_for(account, (dict(r.tags) for r in f.resources), routes),
        tags=["security-hub" if f.product == "Security Hub" else f.product.lower().replace(" ", "-"), "security"],
        requester=requester,
    )


def _newest(found: Sequence[tuple[AwsAccount, securityhub.SecurityFinding]]):
    """One copy per (account, finding): the newest, so a page that lists a finding twice files one ticket."""
    newest: dict[tuple[int, str], tuple[AwsAccount, securityhub.SecurityFinding]] = {}
    for account, f in found:
        kept = newest.get((account.pk, f.id))
        if kept is None or f.updated_at >= kept[1].updated_at:
            newest[account.pk, f.id] = (account, f)
    return list(newest.values())


@transaction.atomic
def security_findings_record(
    *, found: Sequence[tuple[AwsAccount, securityhub.SecurityFinding]], counts: PollCounts
) -> None:
    """Record findings, each on its account, and keep their tickets in step: one transaction per batch.

    An older copy than the one recorded (pushes arrive out of order) is dropped; a copy whose state is the same
    writes nothing but a newer UpdatedAt (Security Hub re-stamps a control each time it evaluates it)."""
    found = _newest(found)
    account_ids = sorted({a.pk for a, _ in found})
    # One writer per account (no twin tickets); locked in a fixed order, so two batches cannot deadlock
    list(AwsAccount.objects.select_for_update().filter(pk__in=account_ids).order_by("pk").values_list("pk"))
    rows = SecurityFinding.objects.filter(account__in=account_ids, finding_id__in={f.id for _, f in found})
    known = {(r.account_id, r.finding_id): r for r in rows.select_related("ticket")}
    changed: list[SecurityFinding] = []
    restamped: list[SecurityFinding] = []
    opening: list[tuple[SecurityFinding, AwsAccount, securityhub.SecurityFinding]] = []
    for account, f in found:
        row = known.get((account.pk, f.id))
        if not f.workflow_status:  # GuardDuty's own events say nothing of the workflow: Security Hub's stands
            f = replace(f, workflow_status=row.workflow_status if row is not None else "NEW")
        if row is not None and f.updated_at < row.aws_updated_at:
            continue  # a late copy of an older state
        if row is not None and _state(row) == _state(f):
            if f.updated_at > row.aws_updated_at:
                row.aws_updated_at = f.updated_at
                restamped.append(row)
            continue
        lines = _changes(row, f) if row is not None else []
        row = row or SecurityFinding(account=account, finding_id=f.id)
        row.product_arn, row.product, row.region, row.title = f.product_arn, f.product, f.region, f.title
        row.severity_label, row.workflow_status, row.record_state = f.severity_label, f.workflow_status, f.record_state
        row.compliance_status, row.aws_updated_at = f.compliance_status, f.updated_at
        changed.append(row)
        if row.ticket is None:
            if is_open(f):
                opening.append((row, account, f))
            continue
        _ticket_follow(row, f, lines, counts)
    filed = ticketing.Changes()
    if opening:
        requester, routes = ticketing.aws_requester(), ticketing.tag_routes()
        new = [_new_ticket(account, f, requester, routes) for _, account, f in opening]
        tickets = ticketing.ticket_services.tickets_create(new=new, record=filed)
        for (row, _, _), ticket in zip(opening, tickets, strict=True):
            row.ticket = ticket
        counts.opened += len(opening)
    known_changed = [row for row in changed if row.pk is not None]  # before the new rows get their keys
    SecurityFinding.objects.bulk_create([row for row in changed if row.pk is None])
    SecurityFinding.objects.bulk_update(known_changed, _FIELDS)
    SecurityFinding.objects.bulk_update(restamped, ["aws_updated_at"])
    ticketing.tickets_linked(filed)


def _ticket_follow(row: SecurityFinding, f: securityhub.SecurityFinding, lines: list[str], counts: PollCounts) -> None:
    assert row.ticket is not None  # the caller files tickets for rows without one
    ticketing.ticket_services.ticket_aws_update(
        ticket=row.ticket, source=f.product, summary=f"{f.product} updated the finding.", lines=lines
    )
    still_open = is_open(f)
    note = f"{f.product} reports the finding active again." if still_open else _closed_note(f)
    followed = ticketing.ticket_follow(ticket=row.ticket, still_open=still_open, note=note)
    if followed == "resolved":
        counts.resolved += 1
    else:
        counts.updated += 1


def _closed_note(f: securityhub.SecurityFinding) -> str:
    if f.record_state != "ACTIVE":
        return f"{f.product} archived the finding."
    if f.workflow_status not in _LIVE_WORKFLOWS:
        return f"The finding's workflow status is {f.workflow_status} in Security Hub."
    if f.compliance_status == "PASSED":
        return "The control now passes."
    return "The finding is now informational."


def _accounts_named(manager: AwsAccount, account_ids: set[str]) -> dict[str, AwsAccount]:
    """The registered, enabled accounts a page names: an administrator account reads its members' findings too."""
    found = {manager.account_id: manager}
    others = account_ids - found.keys()
    if others:
        rows = AwsAccount.objects.filter(account_id__in=others, enabled=True).select_related("owner_queue")
        found.update((a.account_id, a) for a in rows)
    return found


def security_hub_poll(*, account: AwsAccount) -> None:
    """Read what changed since the last poll (on the first: every live finding) in each region of interest.

    The cursor (AWS's newest UpdatedAt seen) moves only after every page is recorded: a worker killed midway
    re-reads from the old cursor, and what it recorded already writes nothing."""
    with poll_recorded(account, Source.SECURITY_HUB) as counts:
        cursor = account.security_hub_cursor
        since = cursor - CURSOR_OVERLAP if cursor else None
        access = account_access(account)
        newest = cursor
        for region in account.regions or [None]:
            for chunk in chunks(securityhub.findings(access, region, since=since), _CHUNK):
                newest = max([f.updated_at for f in chunk] + ([newest] if newest else []))
                accounts = _accounts_named(account, {f.account_id for f in chunk})
                found = [(accounts[f.account_id], f) for f in chunk if f.account_id in accounts]
                if found:
                    security_findings_record(found=found, counts=counts)
        if newest and newest != cursor:
            AwsAccount.objects.filter(pk=account.pk).update(security_hub_cursor=newest)


def write_backs_due(*, tickets: Sequence[Ticket], by: str, now: datetime | None = None) -> list[int]:
    """Mark for write-back the findings of these tickets, just resolved by ``by``, where the account allows it and
    Security Hub still has them live; the rows to hand to ``security_finding_write_back`` after the commit."""
    now = now or timezone.now()
    rows = SecurityFinding.objects.filter(
        ticket__in=tickets, account__security_hub_write_back=True, account__enabled=True
    ).select_related("ticket")
    due = [row for row in rows if is_open(row)]
    for row in due:
        row.write_back_due_at = now
        row.write_back_note = f"Resolved in Supportdesk by {by} ({row.ticket.reference})."  # type: ignore[union-attr]  # filtered on ticket
    SecurityFinding.objects.bulk_update(due, ["write_back_due_at", "write_back_note"])
    return [row.pk for row in due]


def security_finding_write_back(*, finding_id: int) -> str:
    """Mark one finding RESOLVED in Security Hub, as an agent resolved its ticket; safe to run twice.

    AWS is asked outside any transaction. Throttling or an outage re-raises (the task retries, the sweep
    queues it again later: never dropped); a refusal is said on the ticket's timeline and not retried."""
    due = SecurityFinding.objects.filter(pk=finding_id, write_back_due_at__isnull=False)
    finding = due.select_related("account").first()
    if finding is None:
        return "nothing due"
    region = finding.region or None
    try:
        refused = securityhub.findings_resolve(
            account_access(finding.account),
            region,
            findings=[(finding.finding_id, finding.product_arn)],
            note=finding.write_back_note,
            by="Supportdesk",
        )
    except RETRYABLE:
        SecurityFinding.objects.filter(pk=finding.pk, write_back_due_at__isnull=False).update(
            write_back_due_at=timezone.now()
        )
        raise
    except AwsError as exc:
        return _write_back_recorded(finding_id=finding.pk, refusal=str(exc))
    refusal = f"{refused[0].error_code} {refused[0].error_message}" if refused else ""
    return _write_back_recorded(finding_id=finding.pk, refusal=refusal)


@transaction.atomic
def _write_back_recorded(*, finding_id: int, refusal: str) -> str:
    finding = SecurityFinding.objects.select_for_update().filter(pk=finding_id, write_back_due_at__isnull=False).first()
    if finding is None:
        return "nothing due"  # another run recorded it
    finding.write_back_due_at = None
    fields = ["write_back_due_at"]
    if not refusal:
        finding.workflow_status = "RESOLVED"  # Security Hub's echo of it (a pushed event) then changes nothing
        fields.append("workflow_status")
    finding.save(update_fields=fields)
    if finding.ticket_id is not None:
        ticket = Ticket.objects.get(pk=finding.ticket_id)
        summary = (
            f"Security Hub refused to mark the finding resolved: {refusal.strip()}"
            if refusal
            else "Marked the finding RESOLVED in Security Hub."
        )
        ticketing.ticket_services.ticket_aws_update(ticket=ticket, source=SOURCE, summary=summary)
    return "refused" if refusal else "resolved"


def security_write_backs_requeue(*, now: datetime | None = None) -> list[int]:
    """Write-backs whose task and its retries are over without an answer (an outage, a lost message): due again."""
    now = now or timezone.now()
    lost = SecurityFinding.objects.filter(write_back_due_at__lt=now - WRITE_BACK_LOST_AFTER)
    ids = list(lost.values_list("pk", flat=True)[:500])
    SecurityFinding.objects.filter(pk__in=ids).update(write_back_due_at=now)
    return ids
