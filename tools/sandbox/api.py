"""What every service module shares: the call it answers, the error AWS answers with, paging and input checks."""

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from .scenario import Account, World

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    world: World
    account: Account  # the caller, from the credentials that signed the request
    now: datetime
    session_token: str = ""  # X-Amz-Security-Token, for STS to say who the caller is

    @property
    def step(self) -> int:
        return self.world.clock.step(self.now)


class AwsError(Exception):
    """An error answer, in the code and HTTP status the real service uses.

    ``members`` are the error shape's modelled members (a ``Reason``, ``Fields``…) for services whose exceptions
    carry them; their message is then ``Message``, as the shape names it, and botocore puts them all on the
    ``ClientError``'s response."""

    def __init__(self, code: str, message: str = "", status: int = 400, members: dict | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.members = code, message, status, members

    def body(self) -> dict[str, Any]:
        if self.members is None:
            return {"__type": self.code, "message": self.message}
        return {"__type": self.code, "Message": self.message, **self.members}


# AwsError arguments: each service says how it refuses a plan without API access, and how it throttles
SUBSCRIPTION_REQUIRED = (
    "SubscriptionRequiredException",
    "AWS Premium Support Subscription is required to use this service.",
)
THROTTLED = ("ThrottlingException", "Rate exceeded", 400)


def moment(text: str) -> datetime:
    """An ISO 8601 time, in UTC when it names no zone; ValueError when it is not one."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def time_parameter(params: dict[str, Any], name: str, invalid: str) -> datetime | None:
    """The named ISO 8601 parameter, if given; a bad one is refused with the service's ``invalid`` code."""
    if not params.get(name):
        return None
    try:
        return moment(params[name])
    except (TypeError, ValueError):
        raise AwsError(invalid, f"Invalid {name}: {params[name]}") from None


def stamp(when: datetime) -> str:
    """ISO 8601 with milliseconds and Z, as the Support and trustedadvisor APIs write times."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def too_long(name: str, items: Sequence[Any], limit: int) -> None:
    # botocore checks only minimums before sending; AWS itself enforces the maximums, in these words
    if len(items) > limit:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {limit}",
        )


def out_of_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        bound = f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: "
            f"Member must have value {bound}",
        )


def page(items: Sequence[T], token: str | None, size: int, bad_token: AwsError) -> tuple[Sequence[T], str | None]:
    """One page of ``items`` and the token for the next, if any; tokens are opaque offsets."""
    start = 0
    if token:
        try:
            start = int(base64.b64decode(token, validate=True).decode().removeprefix("offset:"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            start = -1
        if start < 0:
            raise bad_token
    end = start + size
    following = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else None
    return items[start:end], following
