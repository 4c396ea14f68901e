"""Large, static worlds for benchmarks: N accounts sharing R flagged resources and E Health events.

Each finding and event is a copy of one from the demo with its ids made unique, posted at or before
step 0, so nothing changes while the sandbox runs: a re-poll sees exactly what the first poll saw.
"""

import hashlib
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from .scenario import Account, Clock, Entity, Event, Finding, World, demo, event_arn

# Headings whose values name the resource; the rest (region, type, reason…) may repeat across copies
_IDENTITY_HEADINGS = frozenset(
    {
        "Instance ID",
        "Instance Name",
        "Security Group ID",
        "Security Group Name",
        "DB Instance",
        "IAM User",
        "Access Key",
        "Bucket Name",
        "Load Balancer Name",
        "Cluster",
        "Volume ID",
        "Volume Name",
    }
)
_AWS_ID = re.compile(r"^([a-z]+-)([0-9a-f]{8,17})$")


def _unique(value: str, n: int) -> str:
    """The same kind of id or name, different for each copy."""
    found = _AWS_ID.match(value)
    if found:
        return found[1] + hashlib.sha256(f"{value}/{n}".encode()).hexdigest()[: len(found[2])]
    return f"{value}-{n}"


def _finding(template: Finding, n: int) -> Finding:
    metadata = {
        heading: _unique(value, n) if value and heading in _IDENTITY_HEADINGS else value
        for heading, value in template.metadata.items()
    }
    for heading in metadata:
        if heading.startswith("Estimated Monthly Savings"):
            metadata[heading] = f"${5 + (n * 7919) % 250_000 / 100:,.2f}"
    return replace(template, key=f"{template.key}#{n}", metadata=metadata, appears=0, clears=None)


def _event(template: Event, n: int, step: int, clock: Clock) -> Event:
    # The first word on each: every event open or upcoming, so a first poll (which asks for those) reads all
    first = replace(template.updates[0], step=step)
    posted = timedelta(seconds=step * clock.step_seconds)
    suffix = hashlib.sha256(f"{template.arn}/{n}".encode()).hexdigest()[:10].upper()
    return replace(
        template,
        arn=event_arn(template.region, template.service, template.type_code, suffix),
        updates=(first,),
        # Unscheduled events began a while before their last word; scheduled ones keep their planned start
        starts=template.starts if template.lasts else posted - timedelta(minutes=30),
        entities=tuple(Entity(_unique(e.value, n), e.tags) for e in template.entities),
    )


def scale(clock: Clock, *, accounts: int, resources: int, events: int) -> World:
    """``resources`` flagged resources and ``events`` Health events in all, spread over ``accounts`` accounts."""
    ids = [str(300_000_000_000 + i) for i in range(accounts)]
    joined = datetime(2021, 1, 4, 10, 0, tzinfo=UTC)
    sample = demo(clock)
    # Only findings named by a resource: copies of a service-limit finding (region, service, limit) would all be
    # the same resource, and a poll would rightly keep one
    finding_templates = list(
        {
            f.check_id: f for fs in sample.findings.values() for f in fs if _IDENTITY_HEADINGS & f.metadata.keys()
        }.values()
    )
    event_templates = list({e.arn: e for es in sample.events.values() for e in es if e.entities}.values())
    findings: dict[str, list[Finding]] = {i: [] for i in ids}
    for n in range(resources):
        template = finding_templates[(n // accounts) % len(finding_templates)]
        findings[ids[n % accounts]].append(_finding(template, n))
    health: dict[str, list[Event]] = {i: [] for i in ids}
    for n in range(events):
        event_template = event_templates[(n // accounts) % len(event_templates)]
        step = -(n // accounts) - 1  # each account's events one step apart, all before the sandbox started
        health[ids[n % accounts]].append(_event(event_template, n, step, clock))
    return World(
        clock=clock,
        accounts={
            i: Account(i, f"Benchmark {k:02d}", f"aws-bench-{k:02d}@example.com", "enterprise", joined)
            for k, i in enumerate(ids)
        },
        default_account_id=ids[0],
        organization_id="o-sbx4bench01",
        management_account_id=ids[0],
        findings={i: tuple(f) for i, f in findings.items()},
        events={i: tuple(e) for i, e in health.items()},
    )
