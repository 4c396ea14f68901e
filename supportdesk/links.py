"""url(): reverse() for templates, at the cost of a string join.

Every page links to a dozen named URLs (the sidebar alone has fourteen) and the ticket page to a dozen more;
Django's reverse() spends 5-15 µs on each, which a hot page notices. The answer of reverse() depends only on the
URL configuration, the script prefix, the name and what kind of value each argument is, so each such combination
is reversed once, with marker values in place of the arguments, and later calls put the real values where the
markers were. An argument is a run of digits or of word characters (`SD-42`, a slug); those pass the converters
that `path()` uses and need no quoting, so the result is the one reverse() gives. Anything else (a namespaced name,
an argument with other characters) goes to reverse() itself, and so does a name reverse() refuses, which then
raises as usual.
"""

import functools
import re

from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.urls.resolvers import URLResolver

_DIGITS = re.compile(r"[0-9]+")
_WORD = re.compile(r"[-A-Za-z0-9_]+")
# Markers of each kind, unlikely to be part of a path; numbered so that two arguments never share one
_MARKERS = {"digits": "9137462805{:02d}", "word": "zq-marker-{:02d}"}


class Links:
    """url() for one render. The URL configuration and the script prefix are context-local values whose reads cost
    about what a whole reverse() here does, so a render reads them once, here."""

    __slots__ = ("_prefix", "_resolver")

    def __init__(self) -> None:
        self._resolver = get_resolver(get_urlconf())  # a new one when ROOT_URLCONF changes (a test's override)
        self._prefix = get_script_prefix()

    def __call__(self, name: str, /, *args: object, **kwargs: object) -> str:
        """The path of a named URL, as reverse(name, args=args, kwargs=kwargs) gives it."""
        if ":" in name:  # a namespace: reverse() weighs the current app
            return reverse(name, args=args, kwargs=kwargs)
        kinds = tuple(_kind(value) for value in args)
        keyword_kinds = tuple((key, _kind(value)) for key, value in sorted(kwargs.items()))
        if None in kinds or any(kind is None for _, kind in keyword_kinds):
            return reverse(name, args=args, kwargs=kwargs)
        pieces = _pieces(self._resolver, self._prefix, name, kinds, keyword_kinds)
        if pieces is None:
            return reverse(name, args=args, kwargs=kwargs)
        path, order = pieces
        if not order:
            return path[0]
        values = [*args, *(kwargs[key] for key, _ in keyword_kinds)]
        parts = [path[0]]
        for index, piece in zip(order, path[1:], strict=True):
            parts += (str(values[index]), piece)
        return "".join(parts)


def url(name: str, /, *args: object, **kwargs: object) -> str:
    """The path of a named URL, as reverse() gives it; a template calls its render's Links instead."""
    return Links()(name, *args, **kwargs)


def _kind(value: object) -> str | None:
    text = str(value)
    if _DIGITS.fullmatch(text):
        return "digits"
    if _WORD.fullmatch(text):
        return "word"
    return None


@functools.lru_cache(maxsize=512)
def _pieces(
    resolver: URLResolver, prefix: str, name: str, kinds: tuple, keyword_kinds: tuple
) -> tuple[tuple[str, ...], tuple[int, ...]] | None:
    """The path cut where the arguments go, and which argument goes in each cut (positional ones first, then the
    keywords by name); None: let reverse() answer."""
    markers = [_MARKERS[kind].format(i) for i, kind in enumerate(kinds + tuple(kind for _, kind in keyword_kinds))]
    kwargs = {key: marker for (key, _), marker in zip(keyword_kinds, markers[len(kinds) :], strict=True)}
    try:
        # The name get_resolver() was given (ROOT_URLCONF's path); the stubs want str, reverse() takes a module too
        urlconf = resolver.urlconf_name
        path = reverse(name, urlconf=urlconf, args=markers[: len(kinds)], kwargs=kwargs)  # type: ignore[arg-type]
    except NoReverseMatch:  # a converter of another kind, say: reverse() answers each call
        return None
    if any(path.count(marker) != 1 for marker in markers):
        return None
    order = sorted(range(len(markers)), key=lambda i: path.index(markers[i]))
    pieces = re.split("|".join(re.escape(marker) for marker in markers), path) if markers else [path]
    return tuple(pieces), tuple(order)
