"""Trusted Advisor's checks and what each shows an account at a step, for both APIs that read them.

The checks are real (ids, names, descriptions, headings as AWS lists them), a subset across every
category; the Support API (support.py) and the newer trustedadvisor API (trustedadvisor.py) render
the same state in their own shapes.
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from .api import Call
from .scenario import Finding

CHECKS: dict[str, dict[str, Any]] = {
    c["id"]: c for c in json.loads(resources.files(__package__).joinpath("checks.json").read_text())
}
AUTO_REFRESHED = frozenset({"12Fnkpl8Y5"})  # Exposed Access Keys: AWS refreshes it itself and refuses requests
MONTHLY_BILL = Decimal(48_000)  # what the savings percentages are of


@dataclass(frozen=True)
class CheckState:
    check: dict[str, Any]
    flagged: list[Finding]
    status: str  # ok|warning|error
    changed_step: int  # when the result last changed, so an unchanged result reads the same on every poll
    savings: Decimal | None  # cost checks only

    @property
    def ok_count(self) -> int:
        return sum(map(ord, self.check["id"])) % 40 + 5  # resources checked and fine: a stable number per check

    @property
    def savings_percent(self) -> Decimal:
        return round((self.savings or Decimal(0)) * 100 / MONTHLY_BILL, 2)


def _savings(finding: Finding) -> Decimal:
    amounts = (v for h, v in finding.metadata.items() if h.startswith("Estimated Monthly Savings") and v)
    return sum((Decimal(v.lstrip("$").replace(",", "")) for v in amounts), Decimal(0))


def check_state(call: Call, check: dict[str, Any]) -> CheckState:
    step = call.step
    ever = [f for f in call.world.findings.get(call.account.id, ()) if f.check_id == check["id"]]
    flagged = [f for f in ever if f.shown_at(step)]
    statuses = {f.status for f in flagged}
    changes = [s for f in ever for s in (f.appears, f.clears) if s is not None and s <= step]
    cost = check["category"] == "cost_optimizing"
    return CheckState(
        check=check,
        flagged=flagged,
        status="error" if "error" in statuses else "warning" if statuses else "ok",
        changed_step=max(changes, default=0),
        savings=sum((_savings(f) for f in flagged), Decimal(0)) if cost else None,
    )


def resource_id(account_id: str, finding: Finding) -> str:
    # Trusted Advisor shows resources by an opaque, stable hash rather than by their AWS id
    digest = hashlib.sha256(f"{account_id}/{finding.check_id}/{finding.key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
