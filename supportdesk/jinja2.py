"""The Jinja2 environment for the few templates on hot paths (ticket rows, the timeline).

Pages are Django templates; the parts that run for every row of every list, and the body of the
ticket page, are Jinja2, which renders them several times faster. Django templates include them
with {% jinja "name" key=value %}; they see the including template's context.
"""

from django.template.defaultfilters import filesizeformat, linebreaks_filter
from jinja2 import Environment, StrictUndefined


def environment(**options) -> Environment:
    env = Environment(**{**options, "undefined": StrictUndefined, "trim_blocks": True, "lstrip_blocks": True})
    env.filters["linebreaks"] = lambda text: linebreaks_filter(text, autoescape=True)  # escapes, then marks safe
    env.filters["filesizeformat"] = filesizeformat
    return env
