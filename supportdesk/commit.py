"""Side effects that wait for the commit of the change that causes them."""

from collections.abc import Callable
from functools import partial

from django.db import transaction


def after_commit_robust(func: Callable, *args, **kwargs) -> None:
    """Call ``func(*args, **kwargs)`` once the transaction commits; a failure (a broker outage) is logged, not raised,
    so it cannot undo the change: a periodic sweep redoes what was lost."""
    call = partial(func, *args, **kwargs)
    # Django logs a failed robust callback by its __qualname__, which a partial lacks (the logging would raise)
    call.__qualname__ = getattr(func, "__qualname__", repr(func))  # type: ignore[attr-defined]
    transaction.on_commit(call, robust=True)
