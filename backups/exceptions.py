from supportdesk.errors import DomainError


class BackupError(DomainError):
    """A backup or restore refused or failed; the message says what was (or was not) changed and what to do."""
