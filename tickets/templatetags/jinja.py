from django import template
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja(context, name: str, **extra) -> SafeString:
    """Render a Jinja2 partial (see supportdesk/jinja2.py) with this template's context and the
    request (for csrf_input); it escapes its own output."""
    request = context.get("request")
    return mark_safe(engines["jinja2"].get_template(name).render({**context.flatten(), **extra}, request))
