"""iCal feeds of shifts (RFC 5545, built with icalendar): one event per shift, its UID stable while the shift is
the same (the layer, the person and the start), its times in UTC so every calendar app places them right."""

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from icalendar import Calendar, Event

from .models import Layer
from .shifts import Shift

PAST, AHEAD = timedelta(days=7), timedelta(weeks=8)


def window(*, now: datetime) -> tuple[datetime, datetime]:
    """The feed's span: from midnight UTC a week ago, so the first shift's start (and UID) holds all day."""
    start = datetime.combine((now - PAST).astimezone(UTC).date(), time(0), tzinfo=UTC)
    return start, now + AHEAD


def calendar_ics(*, name: str, rows: Iterable[tuple[Layer, Shift]]) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Supportdesk//On-call//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    stamp = datetime.now(UTC).replace(microsecond=0)
    for layer, shift in rows:
        person: Any = shift.person  # a shift in a feed has someone on it
        event = Event()
        event.add("uid", f"shift-{layer.pk}-{person.pk}-{shift.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}@supportdesk")
        event.add("summary", f"On call: {layer.schedule.queue.name} {layer.name}, {person.display_name}")
        event.add("dtstart", shift.starts_at.astimezone(UTC))
        event.add("dtend", shift.ends_at.astimezone(UTC))
        event.add("dtstamp", stamp)
        if shift.override:
            event.add("description", "Covering (an override or a swap).")
        cal.add_component(event)
    return cal.to_ical()
