"""The base of every domain error: a sentence a user can act on, shown as a form error or, in the API, as the status
its class stands for (supportdesk.api.exception_handler, the one place that says so); and what an outage of the
database, Redis or the broker looks like when it reaches the edge."""

from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import ConnectionError as RedisUnavailable
from redis.exceptions import TimeoutError as RedisTimeout

# Not the request's fault, and gone in a while: the API answers 503, to be retried
OUTAGES = (OperationalError, InterfaceError, RedisUnavailable, RedisTimeout, BrokerUnavailable)


class DomainError(Exception):
    """A refused operation; str(error) is the message for the user. The API answers 400.

    An error about one input sets `field` to its name, so forms and the API put the message next to it."""

    field: str | None = None


class NotPermitted(DomainError):
    """The person may see the object but may not do this to it. The API answers 403."""
