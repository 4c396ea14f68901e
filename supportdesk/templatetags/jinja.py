"""{% jinja "name" key=value %}: a Jinja2 partial inside a Django template (the bridge; see supportdesk/jinja2.py)."""

from functools import partial

from django import template
from django.template.backends.utils import csrf_input
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString

from supportdesk.jinja2 import partial_render

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja(context, name: str, **extra) -> SafeString:
    """Render a Jinja2 partial (see supportdesk/jinja2.py) with this template's context, which holds
    the request; it escapes its own output."""
    page = context.flatten()
    request = context.get("request")
    if request is not None:
        # Made once, if at all: the Jinja2 backend's own csrf_input masks the token anew for every form.
        page["csrf_input"] = SimpleLazyObject(partial(csrf_input, request))
    return partial_render(name, {**page, **extra})
