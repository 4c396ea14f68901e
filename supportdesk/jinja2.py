"""The Jinja2 environment for the few templates on hot paths (ticket rows, the ticket page body).

Pages are Django templates; the parts that run for every row of every list, and the body of the
ticket page, are Jinja2, which renders them several times faster. Django templates include them
with {% jinja "name" key=value %} (supportdesk/templatetags/jinja.py); they see the including template's context.
Links come from the `url()` global, reverse() at the cost of a string join (supportdesk/links.py).
"""

import functools
import hashlib
from datetime import datetime, timedelta
from typing import cast

from django.template import engines
from django.template.backends.jinja2 import Jinja2
from django.template.defaultfilters import filesizeformat, linebreaks_filter
from django.utils.safestring import SafeString, mark_safe
from jinja2 import Environment, StrictUndefined, Template
from markupsafe import Markup

from supportdesk.links import Links, url
from supportdesk.timezones import STRFTIME, STRFTIME_YEAR, active_zone_name, local


def when(moment: datetime, fmt: str = STRFTIME) -> Markup:
    """A moment in the viewer's zone, the zone named; app.js shows it relative to now and keeps this as its title."""
    moment = local(moment)
    written = moment.strftime(fmt)
    title = f"{moment.strftime(STRFTIME_YEAR)} ({active_zone_name()})"
    return Markup('<time datetime="{}" title="{}" data-relative>{}</time>').format(moment.isoformat(), title, written)


def when_written(value: str) -> Markup | str:
    """when() for a moment stored as ISO 8601 text (a timeline event's data); other text is shown as it is."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    return when(moment)


def clock_time(moment: datetime, fmt: str = "%d %b %H:%M %Z") -> Markup:
    """A moment in the active time zone (the viewer's), the zone named; not made relative by app.js."""
    shown = local(moment)
    return Markup('<time datetime="{}">{}</time>').format(shown.isoformat(), shown.strftime(fmt))


def span(length: timedelta | int) -> str:
    """A length of time (or a number of seconds) as people say it, to the minute: "3 h 20 min", "2 d 4 h", "45 min",
    "0 min"; the sign is for the sentence around it."""
    seconds = length.total_seconds() if isinstance(length, timedelta) else length
    minutes = int(abs(seconds) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes and not days else "",
    ]
    return " ".join(p for p in parts if p) or "0 min"


def environment(**options) -> Environment:
    env = Environment(**{**options, "undefined": StrictUndefined, "trim_blocks": True, "lstrip_blocks": True})
    env.filters["linebreaks"] = lambda text: linebreaks_filter(text, autoescape=True)  # escapes, then marks safe
    env.filters["filesizeformat"] = filesizeformat
    env.globals["when"] = when
    env.globals["clock_time"] = clock_time
    env.filters["span"] = span
    env.globals["when_written"] = when_written
    env.globals["url"] = url
    return env


def partial_render(name: str, context: dict) -> SafeString:
    """A partial as safe HTML for a Django template or a cache; Jinja2 escaped what it had to."""
    # url() reads the URL configuration and script prefix once per render, not once per link (it shadows the global)
    return mark_safe(engines["jinja2"].get_template(name).render({**context, "url": Links()}))


def partial_digest(name: str) -> str:
    """Changes whenever the partial's source does: cache keys that hold it drop markup of an older deploy."""
    return _digest(cast(Jinja2, engines["jinja2"]).env.get_template(name))


@functools.lru_cache(maxsize=16)
def _digest(template: Template) -> str:
    # Once per compiled template: a dev server recompiles an edited one, production never does.
    loader = template.environment.loader
    assert loader is not None and template.name is not None  # loaded by name through the engine's loader
    source = loader.get_source(template.environment, template.name)[0]
    return hashlib.blake2b(source.encode(), digest_size=6).hexdigest()
