"""The base of every domain error: a sentence a user can act on, shown as a 400 or a form error; and what an outage
of the database, Redis or the broker looks like when it reaches the edge."""

from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import ConnectionError as RedisUnavailable
from redis.exceptions import TimeoutError as RedisTimeout

# Not the request's fault, and gone in a while: the API answers 503, to be retried
OUTAGES = (OperationalError, InterfaceError, RedisUnavailable, RedisTimeout, BrokerUnavailable)


class DomainError(Exception):
    """A refused operation; str(error) is the message for the user."""
