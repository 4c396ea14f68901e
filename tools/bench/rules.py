"""python -m tools.bench.rules: severity rule evaluation throughput, 200 rules over 100,000 tickets of the bench
database.

Two figures: bulk (tickets tested per second, all rules against pages of 1,000 tickets whose facts are read in four
queries a page) and per change (the latency of testing all rules against one ticket, as each ticket change does).
The rules are made inside a transaction that is rolled back: the bench database keeps no trace. Run `python -m
bench` once first: it seeds the 1,000,000-ticket database this reads. Results go to var/bench/rules.md.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
OUT = BASE_DIR / "var" / "bench" / "rules.md"
PAGE = 1000


class _Rollback(Exception):
    """Raised to undo the bench's rules once measured."""


def _rules(count: int, rng: random.Random) -> list:
    """A mix like an admin's: most rules test two or three things, a few test source or text."""
    from integrations.models import TrustedAdvisorCategory
    from rules.models import Rule
    from tickets.models import Queue, Severity, Tag, Ticket

    kinds = [k for k, _ in Ticket.Kind.choices]
    environments = [e for e, _ in Ticket.Environment.choices]
    tags = list(Tag.objects.values_list("name", flat=True)[:200]) or ["payments", "db", "network"]
    severities = list(Severity.objects.all())
    queues = list(Queue.objects.all())
    categories = list(TrustedAdvisorCategory.objects.values_list("code", flat=True)) or ["security"]
    accounts = [f"{rng.randrange(10**11, 10**12)}" for _ in range(20)]
    made = []
    for n in range(count):
        conditions = rng.sample(["kinds", "environments", "tags", "text", "min_severity", "accounts", "source"], 3)
        rule = Rule(name=f"Bench rule {n}", position=n, trigger=rng.choice(["created", "changed"]))
        if "kinds" in conditions:
            rule.kinds = rng.sample(kinds, 2)
        if "environments" in conditions:
            rule.environments = [rng.choice(environments)]
        if "tags" in conditions:
            rule.tags = rng.sample(tags, min(3, len(tags)))
        if "text" in conditions:
            rule.text = rng.choice(["timeout", "disk", "latency", "password", "s3", "vpn", "error 5"])
        if "min_severity" in conditions:
            rule.min_severity = rng.choice(severities)
        if "accounts" in conditions:
            rule.account_ids = rng.sample(accounts, 2)
        if "source" in conditions:
            rule.ta_categories = [rng.choice(categories)]
        rule.set_queue = rng.choice(queues)
        made.append(rule)
    Rule.objects.bulk_create(made)
    return list(Rule.objects.select_related("min_severity", "set_queue").order_by("position"))


def _measure(args: argparse.Namespace) -> str:
    from django.db import transaction

    from rules.services import rules_matching
    from tickets.models import Ticket

    rng = random.Random(7)
    lines = []
    try:
        with transaction.atomic():
            rules = _rules(args.rules, rng)
            top = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            ids = list(range(max(1, top - args.tickets + 1), top + 1))
            started = time.perf_counter()
            matched = pages = 0
            for start in range(0, len(ids), PAGE):
                page = ids[start : start + PAGE]
                matched += sum(len(r) for r in rules_matching(Ticket.objects.filter(pk__in=page), rules).values())
                pages += 1
            bulk = time.perf_counter() - started
            single = []
            for pk in rng.sample(ids, 200):
                began = time.perf_counter()
                rules_matching(Ticket.objects.filter(pk=pk), rules)
                single.append((time.perf_counter() - began) * 1000)
            single.sort()
            lines = [
                f"# Rule evaluation: {len(rules)} rules, {len(ids):,} tickets (bench database)",
                "",
                "| measure | result |",
                "|---|---|",
                f"| bulk, pages of {PAGE} tickets (four queries a page) | {len(ids) / bulk:,.0f} tickets/s "
                f"({bulk:.1f} s, {pages * 4} queries) |",
                f"| rule matches found | {matched:,} |",
                f"| one ticket against all rules (a ticket change), median | {statistics.median(single):.1f} ms |",
                f"| one ticket against all rules, p99 | {single[int(len(single) * 0.99) - 1]:.1f} ms |",
            ]
            raise _Rollback
    except _Rollback:
        pass
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.rules")
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args(argv)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "supportdesk.settings.base",
            "DATABASE_URL": os.environ.get(
                "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk_bench"
            ),
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-7f3a9c1e5b",
            "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/3"),
            "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/4"),
            "LOG_LEVEL": "WARNING",
        }
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, check=True)
    import django

    django.setup()
    text = _measure(args)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
