"""The base of every domain error: a sentence a user can act on, shown as a 400 or a form error."""


class DomainError(Exception):
    """A refused operation; str(error) is the message for the user."""
