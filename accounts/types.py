"""Types for the person behind a change or a request, shared by every app's services and views."""

from typing import TypeAlias

from django.http import HttpRequest
from rest_framework.request import Request

from .models import User

# Who a service acts for: the signed-in person, or None for the system (a poll, a rule, a timer, a command).
Actor: TypeAlias = User | None


class AuthedHttpRequest(HttpRequest):
    """A request that login_required let through: its user is a person, never AnonymousUser (for type checkers;
    Django builds the request, this class is never instantiated)."""

    user: User


class AuthedRequest(Request):
    """The same for a DRF view whose permissions require a signed-in person (IsAuthenticated and stricter)."""

    user: User
