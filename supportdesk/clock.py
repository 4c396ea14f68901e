"""A clock of our own, for replaying history (the demo's `seed_demo_history`): a command must not need test tools.

The apps read the time through Django's `timezone.now()` (and `localdate()`, `localtime()`, which call it), and so
do every `default=timezone.now` and `auto_now` field. Inside `replayed_clock(at)`, that function answers the
replay's moment, which the caller moves on with `clock.move_to()`; the moment stands still between moves. It holds
for the whole process while the block runs, and for nothing else: the standard library's clock (`time.time()`,
`datetime.now()`) and the database's `now()` keep the real time. For a command that replays the past, never for
the portal, the worker or beat.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo

from django.utils import timezone as django_timezone


class ReplayClock:
    def __init__(self, at: datetime) -> None:
        self.move_to(at)

    def move_to(self, at: datetime) -> None:
        if django_timezone.is_naive(at):
            raise ValueError("The replay clock needs an aware datetime.")
        self.at = at


class _RealDatetimes(type):
    # isinstance(value, datetime) in django.utils.timezone still holds for every datetime, not only ours
    def __instancecheck__(cls, value: object) -> bool:
        return isinstance(value, datetime)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, datetime)


@contextmanager
def replayed_clock(at: datetime) -> Iterator[ReplayClock]:
    """Django's `timezone.now()` reads the returned clock until the block ends.

    `timezone.now()` is `datetime.now(tz=...)` with the `datetime` of django.utils.timezone's namespace: that name
    is swapped for a class whose `now()` reads our clock, and put back on the way out.
    """
    clock = ReplayClock(at)

    class ReplayDatetime(datetime, metaclass=_RealDatetimes):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]  # a real datetime, not Self
            return clock.at.astimezone(tz) if tz else clock.at.astimezone().replace(tzinfo=None)  # a plain datetime

    namespace = vars(django_timezone)  # where timezone.now() looks `datetime` up
    real = namespace["datetime"]
    namespace["datetime"] = ReplayDatetime
    try:
        yield clock
    finally:
        namespace["datetime"] = real
