"""Keyset ("seek") pagination: pages cost the same on row 25 and row 1,000,000, and nothing counts rows.

The cursor carries the last row's sort values; the next page is the rows strictly after them
in the same ordering. The ordering must end with a unique field (id).
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None
    previous_cursor: str | None


def _field_path(key: str) -> str:
    return key.lstrip("-")


def _value_of(obj: Model, key: str) -> Any:
    value: Any = obj
    for part in _field_path(key).split("__"):
        value = getattr(value, part)
    return value


def _model_field(model: type[Model], path: str):
    *relations, name = path.split("__")
    for relation in relations:
        model = cast(type[Model], model._meta.get_field(relation).related_model)  # a relation: it has a model
    return model._meta.get_field(name)


def _json_value(value: Any) -> Any:
    # Full precision: DjangoJSONEncoder keeps milliseconds only, and rows within one would be skipped.
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot go in a cursor")


def _encode(values: list, backwards: bool) -> str:
    raw = json.dumps({"v": values, "b": backwards}, default=_json_value, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _in_utc(value: Any) -> Any:
    """Datetimes as the database compares them; one at the calendar's edge (9999-12-31 at -14:00) overflows here,
    not in SQLite's adapter."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _decode(model: type[Model], ordering: Sequence[str], cursor: str) -> tuple[list, bool]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        raw_values, backwards = payload["v"], bool(payload["b"])
        if not isinstance(raw_values, list) or len(raw_values) != len(ordering):
            raise InvalidCursor("This page link is out of date; start again from the first page.")
        values = [
            _in_utc(_model_field(model, _field_path(k)).to_python(v)) for k, v in zip(ordering, raw_values, strict=True)
        ]
    except (ValueError, TypeError, KeyError, OverflowError, binascii.Error, ValidationError, FieldDoesNotExist) as exc:
        raise InvalidCursor("This page link is out of date; start again from the first page.") from exc
    if any(v is None for v in values):
        raise InvalidCursor("This page link is out of date; start again from the first page.")
    return values, backwards


def _beyond(ordering: Sequence[str], values: list, backwards: bool) -> Q:
    """Rows after `values` in `ordering` (before them when going backwards), as an index-friendly Q."""
    condition = Q()
    for i, key in enumerate(ordering):
        descending = key.startswith("-") != backwards
        step = Q(**{f"{_field_path(key)}__{'lt' if descending else 'gt'}": values[i]})
        for j in range(i):
            step &= Q(**{_field_path(ordering[j]): values[j]})
        condition |= step
    first = _field_path(ordering[0])
    first_descending = ordering[0].startswith("-") != backwards
    # The redundant bound on the leading column lets the database start its index scan there.
    return Q(**{f"{first}__{'lte' if first_descending else 'gte'}": values[0]}) & condition


def rows_after(ordering: Sequence[str], values: list) -> Q:
    """Rows after the one holding `values` in `ordering`: for walking a whole result in chunks."""
    return _beyond(ordering, values, backwards=False)


def _flip(key: str) -> str:
    return key[1:] if key.startswith("-") else f"-{key}"


def keyset_page(queryset: QuerySet, *, ordering: Sequence[str], cursor: str | None, size: int) -> Page:
    """One page of `queryset` in `ordering`; raises InvalidCursor for a forged or stale cursor."""
    backwards = False
    if cursor:
        values, backwards = _decode(queryset.model, ordering, cursor)
        queryset = queryset.filter(_beyond(ordering, values, backwards))
    order = [_flip(k) for k in ordering] if backwards else list(ordering)
    rows = list(queryset.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return Page(items=[], next_cursor=None, previous_cursor=None)
    first, last = ([_value_of(row, k) for k in ordering] for row in (rows[0], rows[-1]))
    has_next = more if not backwards else True
    has_previous = more if backwards else bool(cursor)
    return Page(
        items=rows,
        next_cursor=_encode(last, False) if has_next else None,
        previous_cursor=_encode(first, True) if has_previous else None,
    )


def query_without(params, *names: str) -> str:
    """The request's query string less these parameters: page links keep the filters, not the old position."""
    kept = params.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()
