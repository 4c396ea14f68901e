"""AWS Organizations: the member accounts a management or delegated-admin account can see."""

from collections.abc import Iterator
from dataclasses import dataclass

from . import clients
from .clients import AccountAccess
from .errors import translated_errors


@dataclass(frozen=True)
class MemberAccount:
    account_id: str
    name: str
    state: str  # ACTIVE|SUSPENDED|PENDING_CLOSURE|CLOSED|PENDING_ACTIVATION; an open set


def member_accounts(access: AccountAccess) -> Iterator[MemberAccount]:
    with translated_errors():
        paginator = clients.client_for(access, "organizations").get_paginator("list_accounts")
        # A page may be empty while NextToken is set; the paginator keeps going (docs/aws.md#organizations)
        for page in paginator.paginate(PaginationConfig={"PageSize": 20}):
            for a in page.get("Accounts", []):
                # `Status` retires in 2026: read `State`, falling back for older answers (docs/aws.md#organizations)
                yield MemberAccount(
                    account_id=a["Id"], name=a.get("Name", ""), state=a.get("State") or a.get("Status", "")
                )
