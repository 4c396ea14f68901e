from supportdesk.errors import DomainError, NotPermitted


class IllegalTransition(DomainError):
    """A status change the workflow does not allow from where the ticket is."""


class NotAllowed(NotPermitted):
    """The person may see the ticket but may not do this to it."""


class InvalidAttachment(DomainError):
    """A file too large, or of a type we do not store."""


class InvalidChoice(DomainError):
    """A value that exists but does not fit, such as an assignee outside the ticket's queue."""
