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

from tickets.models import Ticket

from ..aws import trusted_advisor
from ..aws.errors import RETRYABLE, AwsError
from ..aws.eventbridge import PushedTrustedAdvisorItem
from ..aws.trusted_advisor import TaCheck, TaFlaggedResource
from ..models import AwsAccount, Finding, FindingGroup, Source, TrustedAdvisorCategory, TrustedAdvisorCheck
from . import ticketing
from .accounts import account_access
from .polls import PollCounts, chunks, poll_recorded

SOURCE = "Trusted Advisor"
FLAGGED = frozenset({Finding.Status.WARNING, Finding.Status.ERROR})
PAGE = 1000  # resources per transaction when the newer API streams them
DESCRIPTION_RESOURCES = 50  # a new ticket's description lists this many; the ticket page lists them all

# Columns that say how a resource is doing, not which one it is: never part of its identity.
_VOLATILE = re.compile(
    r"\b(status|savings?|costs?|usage|average|days?|\d+-day|utili[sz]ation|percent|reason|last|date|age|amount|"
    r"hours|price|estimated|count|number|size)\b",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(r"\b(id|arn)\b", re.IGNORECASE)
_LABEL = re.compile(r"\bname\b", re.IGNORECASE)


def identity_headings_default(headings: Iterable[str]) -> list[str]:
    """The columns that identify a flagged resource: every stable column, and names only when no id is given
    (a renamed resource is the same resource)."""
    stable = [h for h in headings if h and not _VOLATILE.search(h)]
    if any(_IDENTIFIER.search(h) for h in stable):
        stable = [h for h in stable if not (_LABEL.search(h) and not _IDENTIFIER.search(h))]
    return stable


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
            check.name, check.category, check.description, headings,
        ):  # fmt: skip
            continue
        else:
            changed.append(row)
        row.name, row.category, row.description, row.headings = check.name, check.category, check.description, headings
    TrustedAdvisorCheck.objects.bulk_update(changed, ["name", "category", "description", "headings"])
    if new:  # two accounts' polls may learn the same check at once: the first insert wins, both read it back
        TrustedAdvisorCheck.objects.bulk_create(new, ignore_conflicts=True)
        rows.update((c.check_id, c) for c in TrustedAdvisorCheck.objects.filter(check_id__in=[n.check_id for n in new]))
    return rows


def _per_resource(check: TrustedAdvisorCheck) -> bool:
    if check.ticketing != TrustedAdvisorCheck.Ticketing.CATEGORY:
        return check.ticketing == TrustedAdvisorCheck.Ticketing.PER_RESOURCE
    return TrustedAdvisorCategory.objects.filter(code=check.category, ticket_per_resource=True).exists()


def _label(finding: Finding | FlaggedItem, check: TrustedAdvisorCheck) -> str:
    values = [finding.details.get(h, "") for h in check.identity_headings]
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
        return "; ".join(f"{len(items)} {'resource' if len(items) == 1 else 'resources'} {what}"
                         for items, what in parts if items)  # fmt: skip

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


def _group_open(account: AwsAccount, check: TrustedAdvisorCheck, key: str, items: list[FlaggedItem]) -> FindingGroup:
    about = f"{check.name}: {_label(items[0], check)}" if key else check.name
    ticket = ticketing.ticket_open(
        account=account,
        kind=Ticket.Kind.AWS_FINDING,
        title=f"Trusted Advisor: {about} ({account.name})",
        description=_ticket_description(account, check, items),
        rank=_rank(check, account, items),
        queue=account.owner_queue,
        tags=["trusted-advisor", check.category.replace("_", "-")],
    )
    group = FindingGroup.objects.create(account=account, ta_check=check, resource_key=key, ticket=ticket)
    ticketing.ticket_linked(ticket)
    return group


@transaction.atomic
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
    """Record what AWS says about some resources of one check in one account, and keep the tickets in step.

    A poll applies the check's resources page by page; on its last page it passes ``seen_before`` (the keys of
    the earlier pages), and every open finding seen on no page is cleared. A push reports single resources and
    clears only ``cleared_keys``. Unchanged findings write nothing. Returns the keys seen in ``flagged``.
    """
    AwsAccount.objects.select_for_update().filter(pk=account.pk).first()  # one writer per account: no twin tickets
    now = timezone.now()
    items: dict[str, FlaggedItem] = {}
    for item in flagged:
        if item.status in FLAGGED:
            items.setdefault(item.key, item)
    mine = Finding.objects.filter(account=account, ta_check=check)
    if seen_before is None:
        clearing = [k for k in dict.fromkeys(cleared_keys) if k not in items]
    else:
        seen = seen_before | items.keys()
        # What changed since the poll began (a push between its pages) is newer than the poll's listing: kept
        unchanged = mine.filter(is_open=True, changed_at__lt=poll_started_at or timezone.now())
        clearing = [k for k in unchanged.values_list("resource_key", flat=True).iterator() if k not in seen]
    existing = {f.resource_key: f for f in mine.filter(resource_key__in=[*items, *clearing])}
    changes: dict[int, _GroupChange] = defaultdict(_GroupChange)
    new_items: dict[str, list[FlaggedItem]] = defaultdict(list)  # by group key
    per_resource = _per_resource(check)
    to_update: list[Finding] = []

    for item in items.values():
        finding = existing.get(item.key)
        if finding is None:
            new_items[item.key if per_resource else ""].append(item)
            continue
        label = _label(item, check) + _savings_text(item.savings)
        if not finding.is_open:
            changes[finding.group_id].back.append(label)
        elif finding.fingerprint != item.fingerprint:
            changes[finding.group_id].changed.append(label)
        elif not ((item.resource_id and not finding.resource_id) or (item.resource_arn and not finding.resource_arn)):
            continue
        # else: the other path filled in an id it could not know, stored quietly
        if not finding.is_open or finding.fingerprint != item.fingerprint:
            finding.changed_at = now
        finding.status, finding.details, finding.region = item.status, item.details, item.region or finding.region
        finding.estimated_monthly_savings, finding.fingerprint = item.savings, item.fingerprint
        finding.resource_id = item.resource_id or finding.resource_id
        finding.resource_arn = item.resource_arn or finding.resource_arn
        finding.is_open, finding.resolved_at = True, None
        to_update.append(finding)

    for key in clearing:
        finding = existing.get(key)
        if finding is None or not finding.is_open:
            continue
        finding.is_open, finding.resolved_at, finding.changed_at = False, now, now
        changes[finding.group_id].cleared.append(_label(finding, check))
        to_update.append(finding)

    groups = {g.pk: g for g in FindingGroup.objects.filter(pk__in=changes.keys()).select_related("ticket")}
    created: list[Finding] = []
    if new_items:
        by_key = {g.resource_key: g for g in FindingGroup.objects.filter(
            account=account, ta_check=check, resource_key__in=new_items).select_related("ticket")}  # fmt: skip
        for group_key, new in new_items.items():
            group = by_key.get(group_key)
            if group is None:
                group = _group_open(account, check, group_key, new)
                counts.opened += 1
                counts.opened_tickets.add(group.ticket_id)
            elif group.ticket_id not in counts.opened_tickets:
                groups[group.pk] = group
                changes[group.pk].new.extend(_label(i, check) + _savings_text(i.savings) for i in new)
            created += [
                Finding(
                    account=account, ta_check=check, resource_key=i.key, group=group, resource_id=i.resource_id,
                    resource_arn=i.resource_arn, region=i.region, status=i.status, details=i.details,
                    estimated_monthly_savings=i.savings, fingerprint=i.fingerprint, first_seen_at=now, changed_at=now,
                )
                for i in new
            ]  # fmt: skip
    Finding.objects.bulk_create(created)
    Finding.objects.bulk_update(
        to_update,
        ["status", "details", "region", "estimated_monthly_savings", "fingerprint", "resource_id", "resource_arn",
         "is_open", "resolved_at", "changed_at"],
        batch_size=500,
    )  # fmt: skip
    still_open = dict(
        Finding.objects.filter(group_id__in=changes.keys(), is_open=True)
        .values("group_id").annotate(n=Count("pk")).values_list("group_id", "n")
    )  # fmt: skip
    for group_id, change in changes.items():
        _ticket_follow(groups[group_id], change, still_open.get(group_id, 0), counts)
    return set(items)


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
    """Read every check's flagged resources for the account and apply them, one transaction per check.

    The newer Trusted Advisor API streams resources page by page where the account may call it; otherwise the
    Support API answers with one result per check. A worker killed midway leaves whole checks done and the rest
    untouched; the next poll recomputes all of it from AWS, so nothing is half-done.
    """
    with poll_recorded(account, Source.TRUSTED_ADVISOR) as counts:
        access = account_access(account)
        try:
            recommendations = trusted_advisor.recommendations(access)
            checks = trusted_advisor.recommendation_checks(access)
        except AwsError:  # not available to this account, or failing: the Support API answers instead
            _poll_through_support_api(account, access, counts)
            return
        rows = checks_sync(checks)
        by_check = {c.id: c for c in checks}
        for recommendation in recommendations:
            check = by_check.get(recommendation.check_id)
            if check is None:
                continue
            resources = trusted_advisor.recommendation_resources(access, check, recommendation.arn)
            _apply_check(account, rows[check.id], chunks(resources, PAGE), counts, name=check.name)


def _poll_through_support_api(account: AwsAccount, access, counts: PollCounts) -> None:
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
        _apply_check(account, rows[check.id], [result.flagged], counts, name=check.name)


def _apply_check(account, check: TrustedAdvisorCheck, pages: Iterable[Iterable[TaFlaggedResource]], counts: PollCounts,
                 *, name: str) -> None:  # fmt: skip
    """Apply a check's resources one page per transaction; the last page clears what no page flagged."""
    seen: set[str] = set()
    started = timezone.now()
    try:
        for page, is_last in _with_last(pages):
            flagged = (flagged_from_poll(check, r) for r in page if not r.is_suppressed)
            seen_before = seen if is_last else None
            seen |= findings_apply(
                account=account, check=check, flagged=flagged, counts=counts, seen_before=seen_before,
                poll_started_at=started,
            )  # fmt: skip
    except RETRYABLE:
        raise
    except AwsError as exc:  # a page failed: pages done stay done, nothing is cleared, the other checks go on
        counts.problem(f"{name}: {exc}")


def _with_last(pages: Iterable) -> Iterator[tuple[Any, bool]]:
    """Each page with whether it is the last; an empty stream is one empty last page (so all clears)."""
    iterator = iter(pages)
    current = next(iterator, [])
    for following in iterator:
        yield current, False
        current = following
    yield current, True


def _refresh_quietly(access, check_id: str) -> None:
    # Too soon, or not allowed: the result we read stands, and the next poll asks again
    with suppress(AwsError):
        trusted_advisor.refresh(access, check_id)
