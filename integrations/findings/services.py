"""Trusted Advisor findings: one row per flagged resource, one ticket per (account, check) or per resource.

Polled results and pushed events both end in ``findings_apply``, keyed the same way, so they meet on one finding.
"""

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from awsgateway import trusted_advisor
from awsgateway.errors import RETRYABLE, AwsAccessDenied, AwsError
from awsgateway.eventbridge import PushedTrustedAdvisorItem
from awsgateway.trusted_advisor import TaCheck, TaFlaggedResource
from supportdesk.errors import DomainError, NotPermitted
from tickets import policies
from tickets.models import Ticket
from tickets.workflow import Action

from ..accounts.models import AwsAccount, Source
from ..accounts.polls import PollCounts, chunks, poll_recorded
from ..accounts.services import account_access
from ..ticketing import services as ticketing
from .models import DESCRIPTOR, Finding, FindingGroup, TrustedAdvisorCategory, TrustedAdvisorCheck

SOURCE = "Trusted Advisor"
FLAGGED = frozenset({Finding.Status.WARNING, Finding.Status.ERROR})
PAGE = 1000  # resources per transaction when the newer API streams them
DESCRIPTION_RESOURCES = 50  # a new ticket's description lists this many; the ticket page lists them all

# Columns that say how a resource is doing, not which one it is: never part of its identity. Some change on every
# refresh (Exposed Access Keys: Case ID, Time Updated, Deadline, Location, Fraud Type); some while it stays flagged
# (S3 Bucket Permissions' "ACL Allows List", EBS Snapshots' "Volume Attachment").
_VOLATILE = re.compile(
    r"\b(status|savings?|costs?|usage|average|days?|\d+-day|utili[sz]ation|percent|reason|last|date|age|amount|"
    r"hours|price|estimated|count|number|size|time|updated|deadline|case|location|fraud|allows?|attachment|"
    r"ignored)\b",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(r"\b(id|arn)\b", re.IGNORECASE)
_SUBJECT_END = re.compile(r"\s*\b(id|arn|name|type|class)$", re.IGNORECASE)
_SELF_NAMED = {"cluster"}  # a column holding the resource's own id under its bare noun (Redshift's "Cluster")


def _subject(heading: str) -> str:
    """What a column is about: "Instance" for "Instance ID" and "Instance Type"."""
    return _SUBJECT_END.sub("", heading).strip().casefold()


def identity_headings_default(headings: Iterable[str]) -> list[str]:
    """The columns that identify a flagged resource: every stable column, less the names and types of a resource
    that an id already identifies (a renamed or resized resource is the same resource, its savings found once).
    A type of something else stays: a Route 53 record's type, beside its zone's id, tells two records apart."""
    stable = [h for h in headings if h and not _VOLATILE.search(h)]
    identified = {_subject(h) for h in stable if _IDENTIFIER.search(h)}
    self_named = any(h.casefold() in _SELF_NAMED for h in stable)
    return [
        h
        for h in stable
        if not (DESCRIPTOR.search(h) and not _IDENTIFIER.search(h) and (self_named or _subject(h) in identified))
    ]


def resource_key(check_id: str, identity_headings: list[str], details: dict[str, str]) -> str:
    """The finding's identity, computed alike for polled rows and pushed events."""
    values = [[h, details.get(h, "").strip().casefold()] for h in identity_headings]
    return hashlib.sha256(json.dumps([check_id, values]).encode()).hexdigest()


@dataclass(frozen=True)
class FlaggedItem:
    """A flagged resource as either path reports it, normalised."""

    key: str
    status: str
    details: dict[str, str]
    region: str
    savings: Decimal | None
    resource_id: str = ""
    resource_arn: str = ""
    recommendation_arn: str = ""

    @property
    def fingerprint(self) -> str:
        seen = [self.status, self.details, str(self.savings)]  # not region: pushes do not always carry it
        return hashlib.sha256(json.dumps(seen, sort_keys=True).encode()).hexdigest()


def flagged_from_poll(check: TrustedAdvisorCheck, resource: TaFlaggedResource) -> FlaggedItem:
    return FlaggedItem(
        key=resource_key(check.check_id, check.identity_headings, resource.details),
        status=resource.status,
        details=resource.details,
        region=resource.region,
        savings=resource.estimated_monthly_savings,
        resource_id=resource.resource_id,
        recommendation_arn=resource.arn,
    )


def flagged_from_push(check: TrustedAdvisorCheck, item: PushedTrustedAdvisorItem) -> FlaggedItem:
    return FlaggedItem(
        key=resource_key(check.check_id, check.identity_headings, item.details),
        status=item.status,
        details=item.details,
        region=item.region,
        savings=item.estimated_monthly_savings,
        resource_arn=item.resource_arn,
    )


@transaction.atomic
def checks_sync(checks: list[TaCheck]) -> dict[str, TrustedAdvisorCheck]:
    """Keep our copy of AWS's check list; writes only what changed, so a steady state writes nothing."""
    rows = {c.check_id: c for c in TrustedAdvisorCheck.objects.filter(check_id__in=[c.id for c in checks])}
    new, changed = [], []
    for check in checks:
        row = rows.get(check.id)
        headings = list(check.headings)
        if row is None:
            row = rows[check.id] = TrustedAdvisorCheck(
                check_id=check.id, identity_headings=identity_headings_default(headings)
            )
            new.append(row)
        elif (row.name, row.category, row.description, row.headings) == (
            check.name,
            check.category,
            check.description,
            headings,
        ):
            continue
        else:
            changed.append(row)
        row.name, row.category, row.description, row.headings = check.name, check.category, check.description, headings
    TrustedAdvisorCheck.objects.bulk_update(changed, ["name", "category", "description", "headings"])
    if new:  # two accounts' polls may learn the same check at once: the first insert wins, both read it back
        TrustedAdvisorCheck.objects.bulk_create(new, ignore_conflicts=True)
        rows.update((c.check_id, c) for c in TrustedAdvisorCheck.objects.filter(check_id__in=[n.check_id for n in new]))
    return rows


def check_named(*, account: AwsAccount, name: str) -> TrustedAdvisorCheck | None:
    """The check a pushed event names (events carry no id). A name not learned yet, as before the account's first
    poll, is looked up in AWS's current list, so the event is kept rather than lost until a poll.

    AWS unreachable or throttling raises (SNS redelivers); None: AWS lists no such check.
    """
    check = TrustedAdvisorCheck.objects.filter(name=name).first()
    if check is not None:
        return check
    access = account_access(account)
    try:
        listed = trusted_advisor.checks(access)
    except AwsAccessDenied:  # an account that may only call the newer API
        listed = trusted_advisor.recommendation_checks(access)
    rows = checks_sync(listed)
    return next((rows[c.id] for c in listed if c.name == name), None)


def _per_resource(check: TrustedAdvisorCheck, categories_per_resource: set[str]) -> bool:
    if check.ticketing != TrustedAdvisorCheck.Ticketing.CATEGORY:
        return check.ticketing == TrustedAdvisorCheck.Ticketing.PER_RESOURCE
    return check.category in categories_per_resource


def _label(finding: Finding | FlaggedItem, check: TrustedAdvisorCheck) -> str:
    values = [finding.details.get(h, "") for h in check.shown_headings]
    return " · ".join(v for v in values if v) or finding.resource_arn or finding.resource_id or "the account"


def _savings_text(amount: Decimal | None) -> str:
    return f" (est. ${amount:,.2f}/month)" if amount else ""


@dataclass
class _GroupChange:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    back: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            (self.new, "newly flagged"),
            (self.back, "flagged again"),
            (self.changed, "changed"),
            (self.cleared, "cleared"),
        ]
        return "; ".join(
            f"{len(items)} {'resource' if len(items) == 1 else 'resources'} {what}" for items, what in parts if items
        )

    def lines(self) -> list[str]:
        return [
            *(f"New: {x}" for x in self.new),
            *(f"Flagged again: {x}" for x in self.back),
            *(f"Changed: {x}" for x in self.changed),
            *(f"Cleared: {x}" for x in self.cleared),
        ]


def _ticket_description(account: AwsAccount, check: TrustedAdvisorCheck, items: list[FlaggedItem]) -> str:
    shown = "\n".join(
        f"- {_label(i, check)} ({i.status}){_savings_text(i.savings)}" for i in items[:DESCRIPTION_RESOURCES]
    )
    more = f"\n…and {len(items) - DESCRIPTION_RESOURCES} more" if len(items) > DESCRIPTION_RESOURCES else ""
    about = re.sub(r"<[^>]+>", "", check.description).strip()  # AWS writes these descriptions in HTML
    return (
        f"Trusted Advisor flags {len(items)} resource(s) in {account} for “{check.name}” ({check.category}).\n\n"
        f"{shown}{more}\n\nAbout this check:\n{about}"
    ).strip()


def _rank(check: TrustedAdvisorCheck, account: AwsAccount, items: list[FlaggedItem]) -> int:
    if any(i.status == Finding.Status.ERROR for i in items):
        production_security = check.category == "security" and account.environment == Ticket.Environment.PRODUCTION
        return ticketing.RANK_PRODUCTION_OUTAGE if production_security else ticketing.RANK_ISSUE
    return ticketing.RANK_ADVICE


def _new_ticket(
    account: AwsAccount, check: TrustedAdvisorCheck, key: str, items: list[FlaggedItem], requester
) -> ticketing.ticket_services.NewTicket:
    about = f"{check.name}: {_label(items[0], check)}" if key else check.name
    return ticketing.new_ticket(
        account=account,
        kind=Ticket.Kind.AWS_FINDING,
        title=f"Trusted Advisor: {about} ({account.name})",
        description=_ticket_description(account, check, items),
        rank=_rank(check, account, items),
        queue=account.owner_queue,
        tags=["trusted-advisor", check.category.replace("_", "-")],
        requester=requester,
    )


@dataclass
class CheckPage:
    """Some of one check's flagged resources, as a poll page or a push delivers them.

    A poll's last page for a check carries ``seen_before`` (the keys its earlier pages held): every open finding
    seen on no page is then cleared, unless it changed after ``listed_at`` (a push newer than the listing). A
    push clears only ``cleared_keys``.
    """

    check: TrustedAdvisorCheck
    flagged: Iterable[FlaggedItem]
    cleared_keys: Iterable[str] = ()
    seen_before: set[str] | None = None
    listed_at: datetime | None = None
    size: int = 0  # resources on the page, for batching


@dataclass
class _CheckPlan:
    page: CheckPage
    items: dict[str, FlaggedItem]
    clearing: list[str] = field(default_factory=list)
    changes: dict[int, _GroupChange] = field(default_factory=lambda: defaultdict(_GroupChange))
    new_items: dict[str, list[FlaggedItem]] = field(default_factory=lambda: defaultdict(list))  # by group key
    to_update: list[Finding] = field(default_factory=list)
    existing_groups: dict[str, FindingGroup] = field(default_factory=dict)


def findings_apply(
    *,
    account: AwsAccount,
    check: TrustedAdvisorCheck,
    flagged: Iterable[FlaggedItem],
    counts: PollCounts,
    cleared_keys: Iterable[str] = (),
    seen_before: set[str] | None = None,
    poll_started_at: datetime | None = None,
) -> set[str]:
    """Record what AWS says about some resources of one check (see ``CheckPage``); returns the keys flagged."""
    page = CheckPage(check, flagged, cleared_keys, seen_before, poll_started_at)
    return check_pages_apply(account=account, pages=[page], counts=counts)[0]


@transaction.atomic
def check_pages_apply(*, account: AwsAccount, pages: list[CheckPage], counts: PollCounts) -> list[set[str]]:
    """Record pages of several checks of one account and keep their tickets in step, in one transaction.

    Unchanged findings write nothing; the tickets new findings need are filed together. At most one page per
    check. Returns the keys each page flagged.
    """
    AwsAccount.objects.select_for_update().filter(pk=account.pk).first()  # one writer per account: no twin tickets
    now = timezone.now()
    plans = _plans(account, pages, now)
    opening = [
        (plan, key, new) for plan in plans for key, new in plan.new_items.items() if key not in plan.existing_groups
    ]
    if opening:
        requester = ticketing.aws_requester()
        new_tickets = [_new_ticket(account, plan.page.check, key, new, requester) for plan, key, new in opening]
        filed = ticketing.Changes()
        tickets = ticketing.ticket_services.tickets_create(new=new_tickets, record=filed)
        groups = FindingGroup.objects.bulk_create(
            FindingGroup(account=account, ta_check=plan.page.check, resource_key=key, ticket=ticket)
            for (plan, key, _), ticket in zip(opening, tickets, strict=True)
        )
        for (plan, key, _), group in zip(opening, groups, strict=True):
            plan.existing_groups[key] = group
        counts.opened += len(groups)
        counts.opened_tickets.update(g.ticket_id for g in groups)
    created: list[Finding] = []
    for plan in plans:
        check = plan.page.check
        for group_key, new in plan.new_items.items():
            group = plan.existing_groups[group_key]
            if group.ticket_id not in counts.opened_tickets:
                plan.changes[group.pk].new.extend(_label(i, check) + _savings_text(i.savings) for i in new)
            created += [
                Finding(
                    account=account,
                    ta_check=check,
                    resource_key=i.key,
                    group=group,
                    resource_id=i.resource_id,
                    resource_arn=i.resource_arn,
                    recommendation_arn=i.recommendation_arn,
                    region=i.region,
                    status=i.status,
                    details=i.details,
                    estimated_monthly_savings=i.savings,
                    fingerprint=i.fingerprint,
                    first_seen_at=now,
                    changed_at=now,
                )
                for i in new
            ]
    Finding.objects.bulk_create(created)
    if opening:  # the rules see the new tickets' findings (a maintenance window names their resources)
        ticketing.tickets_linked(filed)
    Finding.objects.bulk_update(
        [f for plan in plans for f in plan.to_update],
        [
            "status",
            "details",
            "region",
            "estimated_monthly_savings",
            "fingerprint",
            "resource_id",
            "resource_arn",
            "recommendation_arn",
            "is_open",
            "resolved_at",
            "changed_at",
        ],
        batch_size=500,
    )
    changes = {group_id: change for plan in plans for group_id, change in plan.changes.items()}
    if changes:
        groups_changed = FindingGroup.objects.filter(pk__in=changes.keys()).select_related("ticket")
        still_open = dict(
            Finding.objects.filter(group_id__in=changes.keys(), is_open=True)
            .values("group_id")
            .annotate(n=Count("pk"))
            .values_list("group_id", "n")
        )
        for group in groups_changed:
            _ticket_follow(group, changes[group.pk], still_open.get(group.pk, 0), counts)
    return [set(plan.items) for plan in plans]


def _plans(account: AwsAccount, pages: list[CheckPage], now: datetime) -> list[_CheckPlan]:
    """What each page changes: findings to update or clear now, new ones to file. Four queries for the batch."""
    plans = []
    for page in pages:
        items: dict[str, FlaggedItem] = {}
        for item in page.flagged:
            if item.status in FLAGGED:
                items.setdefault(item.key, item)
        plans.append(_CheckPlan(page, items))
    mine = Finding.objects.filter(account=account, ta_check__in=[p.check for p in pages])
    listing = [p.page for p in plans if p.page.seen_before is not None]
    open_now: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    if listing:
        rows = mine.filter(ta_check__in=[p.check for p in listing], is_open=True)
        for check_id, key, changed_at in rows.values_list("ta_check_id", "resource_key", "changed_at").iterator():
            open_now[check_id].append((key, changed_at))
    for plan in plans:
        page = plan.page
        if page.seen_before is None:
            plan.clearing = [k for k in dict.fromkeys(page.cleared_keys) if k not in plan.items]
        else:
            seen = page.seen_before | plan.items.keys()
            # What changed since the listing began (a push between its pages) is newer than the listing: kept
            listed_at = page.listed_at or now
            plan.clearing = [k for k, changed in open_now[page.check.pk] if k not in seen and changed < listed_at]
    wanted = [k for plan in plans for k in (*plan.items, *plan.clearing)]
    existing = {f.resource_key: f for f in mine.filter(resource_key__in=wanted)} if wanted else {}
    categories = set()
    if any(k not in existing for plan in plans for k in plan.items):
        categories = set(TrustedAdvisorCategory.objects.filter(ticket_per_resource=True).values_list("code", flat=True))
    for plan in plans:
        _plan_fill(plan, existing, categories, now)
    group_keys = [(p.page.check.pk, key) for p in plans for key in p.new_items]
    if group_keys:
        groups = FindingGroup.objects.filter(
            account=account, ta_check__in={c for c, _ in group_keys}, resource_key__in={k for _, k in group_keys}
        )
        by_key = {(g.ta_check_id, g.resource_key): g for g in groups}
        for plan in plans:
            plan.existing_groups = {
                k: by_key[plan.page.check.pk, k] for k in plan.new_items if (plan.page.check.pk, k) in by_key
            }
    return plans


def _plan_fill(plan: _CheckPlan, existing: dict[str, Finding], categories: set[str], now: datetime) -> None:
    check = plan.page.check
    per_resource = bool(plan.items.keys() - existing.keys()) and _per_resource(check, categories)
    listed_at = plan.page.listed_at
    for item in plan.items.values():
        finding = existing.get(item.key)
        if finding is None:
            plan.new_items[item.key if per_resource else ""].append(item)
            continue
        if listed_at and finding.changed_at >= listed_at:
            continue  # a push since this poll's listing is newer than what the listing says
        if finding.risk_accepted_at is not None:
            continue  # an agent accepted the risk: flagged again or not, it stays closed
        label = _label(item, check) + _savings_text(item.savings)
        if not finding.is_open:
            plan.changes[finding.group_id].back.append(label)
        elif finding.fingerprint != item.fingerprint:
            plan.changes[finding.group_id].changed.append(label)
        elif not (
            (item.resource_id and not finding.resource_id)
            or (item.resource_arn and not finding.resource_arn)
            or (item.recommendation_arn and not finding.recommendation_arn)
        ):
            continue
        # else: the other path filled in an id it could not know, stored quietly
        if not finding.is_open or finding.fingerprint != item.fingerprint:
            finding.changed_at = now
        finding.status, finding.details, finding.region = item.status, item.details, item.region or finding.region
        finding.estimated_monthly_savings, finding.fingerprint = item.savings, item.fingerprint
        finding.resource_id = item.resource_id or finding.resource_id
        finding.resource_arn = item.resource_arn or finding.resource_arn
        finding.recommendation_arn = item.recommendation_arn or finding.recommendation_arn
        finding.is_open, finding.resolved_at = True, None
        plan.to_update.append(finding)

    for key in plan.clearing:
        finding = existing.get(key)
        if finding is None or not finding.is_open:
            continue
        finding.is_open, finding.resolved_at, finding.changed_at = False, now, now
        plan.changes[finding.group_id].cleared.append(_label(finding, check))
        plan.to_update.append(finding)


def _ticket_follow(group: FindingGroup, change: _GroupChange, still_open: int, counts: PollCounts) -> None:
    ticket = group.ticket
    if change.new or change.back or change.changed or (change.cleared and still_open):
        ticketing.ticket_services.ticket_aws_update(
            ticket=ticket, source=SOURCE, summary=change.summary(), lines=change.lines()
        )
    if still_open:
        note = "Trusted Advisor flags this again."
    else:
        what = "this resource" if group.resource_key else "any resource for this check"
        note = f"Trusted Advisor no longer flags {what}."
    followed = ticketing.ticket_follow(ticket=ticket, still_open=bool(still_open), note=note)
    if followed == "resolved":
        counts.resolved += 1
    elif followed == "reopened" or change.new or change.back or change.changed or change.cleared:
        counts.updated += 1


def trusted_advisor_poll(*, account: AwsAccount) -> None:
    """Read every check's flagged resources for the account and apply them, a batch of pages per transaction.

    The newer Trusted Advisor API streams resources page by page where the account may call it; otherwise the
    Support API answers with one result per check. A worker killed midway leaves whole pages done and the rest
    untouched (a check is cleared only with its last page); the next poll recomputes all of it from AWS.
    """
    with poll_recorded(account, Source.TRUSTED_ADVISOR) as counts:
        access = account_access(account)
        try:
            recommendations = trusted_advisor.recommendations(access)
            checks = trusted_advisor.recommendation_checks(access)
        except AwsAccessDenied:  # not available to this account: the Support API answers instead
            # Only then: a throttled or failing API backs off (the task retries) rather than sending a result call
            # and a refresh per check to the Support API
            pages = _support_api_pages(account, access, counts)
        else:
            pages = _recommendation_pages(access, checks, recommendations, counts)
        _pages_apply(account, pages, counts)


def _recommendation_pages(access, checks: list[TaCheck], recommendations, counts: PollCounts) -> Iterator[CheckPage]:
    rows = checks_sync(checks)
    by_check = {c.id: c for c in checks}
    for recommendation in recommendations:
        check = by_check.get(recommendation.check_id)
        if check is not None:
            resources = trusted_advisor.recommendation_resources(access, check, recommendation.arn)
            yield from _check_pages(rows[check.id], chunks(resources, PAGE), counts, name=check.name)


def _support_api_pages(account: AwsAccount, access, counts: PollCounts) -> Iterator[CheckPage]:
    checks = trusted_advisor.checks(access)
    rows = checks_sync(checks)
    for check in checks:
        try:
            result = trusted_advisor.check_result(access, check)
        except RETRYABLE:
            raise
        except AwsError as exc:
            counts.problem(f"{check.name}: {exc}")
            continue
        _refresh_quietly(access, check.id)  # for the next poll: a refresh takes minutes
        if result.status == "not_available":
            continue  # the check cannot run here (a service not in use): says nothing about findings
        yield from _check_pages(rows[check.id], [result.flagged], counts, name=check.name)


def _check_pages(
    check: TrustedAdvisorCheck, pages: Iterable[Iterable[TaFlaggedResource]], counts: PollCounts, *, name: str
) -> Iterator[CheckPage]:
    """A check's resources as pages; the last one says what the earlier ones held (filled in when applied)."""
    listed_at = timezone.now()
    try:
        for page, is_last in _with_last(pages):
            flagged = [flagged_from_poll(check, r) for r in page if not r.is_suppressed]
            yield CheckPage(
                check, flagged, seen_before=set() if is_last else None, listed_at=listed_at, size=len(flagged)
            )
    except RETRYABLE:
        raise
    except AwsError as exc:  # a page failed: pages done stay done, nothing is cleared, the other checks go on
        counts.problem(f"{name}: {exc}")


def _pages_apply(account: AwsAccount, pages: Iterable[CheckPage], counts: PollCounts) -> None:
    """Apply pages in batches of about PAGE resources, at most one page per check in a batch.

    A check's last page learns the keys its earlier pages flagged, which were applied in earlier batches.
    """
    seen: dict[int, set[str]] = defaultdict(set)
    batch: list[CheckPage] = []

    def flush() -> None:
        for page in batch:
            if page.seen_before is not None:
                page.seen_before = seen.pop(page.check.pk, set())
        for page, keys in zip(batch, check_pages_apply(account=account, pages=batch, counts=counts), strict=True):
            if page.seen_before is None:
                seen[page.check.pk] |= keys
        batch.clear()

    for page in pages:
        if any(p.check.pk == page.check.pk for p in batch):
            flush()
        batch.append(page)
        if sum(p.size for p in batch) >= PAGE:
            flush()
    if batch:
        flush()


def _with_last(pages: Iterable) -> Iterator[tuple[Any, bool]]:
    """Each page with whether it is the last; an empty stream is one empty last page (so all clears)."""
    iterator = iter(pages)
    current: Any = next(iterator, [])
    for following in iterator:
        yield current, False
        current = following
    yield current, True


def _refresh_quietly(access, check_id: str) -> None:
    # Too soon, or not allowed: the result we read stands, and the next poll asks again
    with suppress(AwsError):
        trusted_advisor.refresh(access, check_id)


class RiskNotAccepted(DomainError):
    """A risk that could not be accepted; str() says why."""


def finding_group_risk_accept(*, ticket: Ticket, actor, note: str) -> Ticket:
    """Accept what a Trusted Advisor ticket flags as a risk: Trusted Advisor excludes the resources (so it stops
    flagging them), they stay closed here whatever AWS says later, and the ticket resolves with the reason.

    AWS is asked first, outside any transaction: a refusal changes nothing here."""
    if not policies.may_work(actor, ticket):
        raise NotPermitted("Only agents of this ticket's queue may accept a risk.")
    if not ticket.is_open:
        raise RiskNotAccepted(f"{ticket.reference} is not open: nothing to accept.")
    if not note.strip():
        raise RiskNotAccepted("Say why the risk is acceptable: the timeline keeps it.")
    group = FindingGroup.objects.filter(ticket=ticket).select_related("account").first()
    findings = list(Finding.objects.filter(group=group, is_open=True)) if group else []
    if group is None or not findings:
        raise RiskNotAccepted("This ticket tracks no flagged Trusted Advisor resource.")
    arns = [f.recommendation_arn for f in findings if f.recommendation_arn]
    if len(arns) < len(findings):
        raise RiskNotAccepted(
            "Trusted Advisor has not named these resources in a way it can exclude: the account's role cannot call "
            "the Trusted Advisor API (trustedadvisor:ListRecommendationResources), or no poll has read them since. "
            "Exclude them in the Trusted Advisor console, or let the role call that API."
        )
    try:
        refused = trusted_advisor.resources_exclude(account_access(group.account), arns)
    except RETRYABLE as exc:
        raise RiskNotAccepted(f"{exc} Nothing was changed; try again in a minute.") from exc
    except AwsError as exc:
        raise RiskNotAccepted(f"Trusted Advisor did not exclude the resources: {exc}") from exc
    if refused:
        raise RiskNotAccepted(f"Trusted Advisor did not exclude every resource: {refused[0]}")
    return _risk_accepted(ticket=ticket, actor=actor, note=note.strip(), findings=findings)


@transaction.atomic
def _risk_accepted(*, ticket: Ticket, actor, note: str, findings: list[Finding]) -> Ticket:
    now = timezone.now()
    Finding.objects.filter(pk__in=[f.pk for f in findings]).update(
        risk_accepted_at=now, is_open=False, resolved_at=now, changed_at=now
    )
    count = f"{len(findings)} resource{'s' if len(findings) != 1 else ''}"
    return ticketing.ticket_services.ticket_transition(
        ticket=ticket,
        actor=actor,
        action=Action.RESOLVE,
        note=f"Accepted as a risk: {note}\nTrusted Advisor now excludes {count}; they will not reopen this ticket.",
    )
