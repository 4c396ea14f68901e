"""Support API reference data: severities and services (per account, as they depend on the plan)."""

from dataclasses import dataclass

from . import clients
from .clients import AccountAccess
from .errors import translated_errors


@dataclass(frozen=True)
class SeverityLevel:
    code: str
    name: str


@dataclass(frozen=True)
class SupportService:
    code: str
    name: str
    categories: tuple[tuple[str, str], ...]  # (code, name)


def severity_levels(access: AccountAccess) -> list[SeverityLevel]:
    """The severities this account's plan offers; the only reliable plan probe (AWS.md §2)."""
    with translated_errors():
        response = clients.client_for(access, "support").describe_severity_levels(language="en")
    return [SeverityLevel(code=s["code"], name=s["name"]) for s in response.get("severityLevels", [])]


def support_services(access: AccountAccess) -> list[SupportService]:
    with translated_errors():
        response = clients.client_for(access, "support").describe_services(language="en")
    return [
        SupportService(
            code=s["code"],
            name=s["name"],
            categories=tuple((c["code"], c["name"]) for c in s.get("categories", [])),
        )
        for s in response.get("services", [])
    ]
