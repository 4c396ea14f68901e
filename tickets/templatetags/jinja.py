from django import template
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def jinja(name: str, **context) -> SafeString:
    """Render a Jinja2 partial (see supportdesk/jinja2.py); it escapes its own output."""
    return mark_safe(engines["jinja2"].get_template(name).render(context))
