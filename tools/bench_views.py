"""Yardsticks for `make bench`, mounted at /_bench/ only when SUPPORTDESK_BENCH_VIEWS is on.

Each portal page is reported as a share of `session-user/`: the least an authenticated Django request
can do (read a database session, load the user) through the same middleware, server and database.
"""

from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.crypto import constant_time_compare

# Not the portal's session cookie: this session lives in django_session whatever SESSION_ENGINE is.
SESSION_COOKIE = "benchsid"


def constant(request: HttpRequest) -> HttpResponse:
    """The floor under every page: WSGI, middleware and routing, no database."""
    return HttpResponse(b"ok", content_type="text/plain")


def session_user(request: HttpRequest) -> HttpResponse:
    """Django's default authenticated request, done by hand: database session, then the user."""
    session = SessionStore(session_key=request.COOKIES.get(SESSION_COOKIE))
    user_id = session.get(SESSION_KEY)
    # Django's own backend, not the portal's: the yardstick must not move when the portal gets faster.
    user = ModelBackend().get_user(user_id) if user_id else None
    # The check django.contrib.auth.get_user makes: a password change ends the session.
    if user is None or not constant_time_compare(session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
        return HttpResponse(b"not signed in", status=403, content_type="text/plain")
    return HttpResponse(user.email, content_type="text/plain")


urlpatterns = [
    path("constant/", constant, name="bench-constant"),
    path("session-user/", session_user, name="bench-session-user"),
]
