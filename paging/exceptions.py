from supportdesk.errors import DomainError


class InvalidNumber(DomainError):
    field = "phone"


class InvalidSlackAccount(DomainError):
    field = "slack_user_id"


class CodeRefused(DomainError):
    field = "code"


class RuleRefused(DomainError):
    """A rule that would loosen a team default, or use a number not verified."""


class LinkRefused(DomainError):
    """A one-tap link that is not valid, used, expired, or for someone else."""
