"""Request ids: one id per request, on every log line it causes, in the web process and in the Celery tasks it
queues (and the tasks those queue), so one ticket's path can be followed from the click to the SNS publish.

The id comes from the X-Request-ID header when a proxy or client sent a sane one, else it is made here; the
response returns it. The log filter in supportdesk/logfilters.py reads the context kept here."""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from typing import Any
from uuid import uuid4

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

HEADER = "X-Request-ID"
# A token, not free text: it lands in every log line, so no spaces, quotes, newlines or control characters that
# could forge a line or a field (log injection), and bounded (nginx makes 32 hex characters, a UUID has 36).
_SANE = re.compile(r"[A-Za-z0-9_.:+=/@-]{1,128}")


@dataclass(frozen=True)
class LogContext:
    request_id: str | None = None
    user_id: int | None = None  # in a task: who queued it (carried like the request id)
    task_id: str | None = None
    task_name: str | None = None
    request: HttpRequest | None = None  # in a request: its user once authentication has run


_context: ContextVar[LogContext] = ContextVar("log_context", default=LogContext())  # noqa: B039  frozen, never mutated


def request_id() -> str | None:
    return _context.get().request_id


def user_id() -> int | None:
    """The signed-in person's id, once authentication has run: never evaluated here (no query from a log line)."""
    context = _context.get()
    if context.request is None:
        return context.user_id
    # AuthenticationMiddleware sets a lazy user, DRF sets the one its authentication found
    user: Any = context.request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = getattr(user, "_wrapped", empty)  # empty until something asked who it is
    return user.pk if user not in (None, empty) and user.is_authenticated else None


def task_fields() -> tuple[str | None, str | None]:
    context = _context.get()
    return context.task_id, context.task_name


def request_id_from(value: str | None) -> str:
    """The caller's id when it is a sane token, else a new one."""
    return value if value and _SANE.fullmatch(value) else uuid4().hex


@contextmanager
def bound(**fields: Any) -> Iterator[LogContext]:
    """Log lines within, and tasks queued within, carry these fields (request_id=, user_id=, task_id=, task_name=,
    request=): for work outside a request that should be followed as one (a script, a test)."""
    token = _context.set(replace(_context.get(), **fields))
    try:
        yield _context.get()
    finally:
        _context.reset(token)


class RequestIdMiddleware:
    """First in MIDDLEWARE: every log line of the request, refusals included, carries its id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id_from(request.headers.get(HEADER))
        # Bound until the response is finished, not just through the middleware: Django logs a 4xx a view returned
        # ("Bad Request: /path") after every middleware has run
        _context.set(LogContext(request_id=rid, request=request))
        response = self.get_response(request)
        response[HEADER] = rid
        return response


@receiver(request_finished, dispatch_uid="supportdesk.requestid")
def _request_unbind(**_: Any) -> None:
    _context.set(LogContext())  # the next request in this thread starts without this one's id


# Celery: the id travels in the message headers and is bound while the task runs, so tasks it queues carry it too.
_running: dict[str, Token[LogContext]] = {}  # by task id: what task_postrun puts back


def headers_stamp(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """before_task_publish: the publishing request's or task's id and user go with the message."""
    context = _context.get()
    if headers is not None and context.request_id is not None:
        headers.setdefault("request_id", context.request_id)
        if (uid := user_id()) is not None:
            headers.setdefault("user_id", uid)


def task_bind(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    """task_prerun: the task's log lines carry its message's id (a task run in place keeps the caller's)."""
    if task_id is None or task is None:
        return
    carried = task.request.get("request_id")
    context = _context.get()
    _running[task_id] = _context.set(
        LogContext(
            request_id=carried or context.request_id,
            user_id=task.request.get("user_id") if carried else user_id(),
            task_id=task_id,
            task_name=task.name,
        )
    )


def task_unbind(task_id: str | None = None, **_: Any) -> None:
    """task_postrun: back to what was bound before the task (nothing, in a worker)."""
    if task_id is not None and (token := _running.pop(task_id, None)) is not None:
        _context.reset(token)
