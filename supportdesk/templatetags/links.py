"""{% url %} for every Django template (a builtin in settings.TEMPLATES), answered by supportdesk.links.url.

The tag parses and behaves as Django's own (arguments, `as var`, namespaces, NoReverseMatch); only a
name without a namespace skips reverse()'s work after its first use (see supportdesk/links.py).
"""

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from supportdesk.links import Links

register = template.Library()


class LinkNode(URLNode):
    def render(self, context) -> str:
        view_name = self.view_name.resolve(context)
        if ":" in view_name:  # a namespace: reverse() weighs the current app
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {key: value.resolve(context) for key, value in self.kwargs.items()}
        path = ""
        try:
            path = _links(context)(view_name, *args, **kwargs)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = path
            return ""
        return conditional_escape(path) if context.autoescape else path


def _links(context) -> Links:
    """One Links per render (and per included template): its reads of the URL configuration are paid once."""
    links = context.render_context.get(Links)
    if links is None:
        links = context.render_context[Links] = Links()
    return links


@register.tag
def url(parser, token) -> LinkNode:
    node = django_url(parser, token)
    return LinkNode(node.view_name, node.args, node.kwargs, node.asvar)
