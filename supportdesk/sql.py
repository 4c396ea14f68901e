"""Raw SQL on both databases: PostgreSQL (every real install) and SQLite (the `make run` demo).

The KPI engine and the maintenance coverage are written as SQL, once; where SQLite spells a construct differently
(lists as parameters, JSON, time zones, the median, epoch seconds), the fragment comes from here, and what SQLite
lacks is given to it in Python when a connection opens (connected by the kpis app). Parameters and results pass
through here too, so both databases see and return the same values. SQLite 3.31 (Django's oldest) is enough.
"""

import json
import statistics
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import overload
from zoneinfo import ZoneInfo

from django.db import connection, connections, router
from django.db.backends.signals import connection_created
from django.db.models import Model
from django.dispatch import receiver

CENTS = Decimal("0.01")


def sqlite() -> bool:
    return connection.vendor == "sqlite"


def any_of(column: str, placeholder: str = "%s") -> str:
    """`column` is one of the list passed as one parameter (prepared by `params`)."""
    if sqlite():
        return f"{column} IN (SELECT value FROM json_each({placeholder}))"
    return f"{column} = ANY({placeholder})"


def local_day(column: str, tz: str = "%s") -> str:
    """The calendar day of an instant in a time zone (passed as a parameter)."""
    return f"sd_local_day({column}, {tz})" if sqlite() else f"({column} AT TIME ZONE {tz})::date"


def local_month(column: str, tz: str = "%s") -> str:
    """The first day of the month of an instant in a time zone."""
    return f"sd_local_month({column}, {tz})" if sqlite() else f"date_trunc('month', {column} AT TIME ZONE {tz})::date"


def seconds_between(later: str, earlier: str) -> str:
    # julianday() keeps milliseconds only, as a float: a duration could round a second off
    return f"sd_seconds_between({later}, {earlier})" if sqlite() else f"extract(epoch FROM {later} - {earlier})"


def median(expression: str) -> str:
    """The continuous median (halfway between the middle two), as an aggregate that takes FILTER."""
    return f"sd_median({expression})" if sqlite() else f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {expression})"


def least(a: str, b: str) -> str:
    """The smaller of two values that are never NULL (SQLite's min() would be NULL, PostgreSQL's least() not)."""
    return f"min({a}, {b})" if sqlite() else f"least({a}, {b})"


def planned_apart(subquery: str) -> str:
    """An IN (…) subquery PostgreSQL must run once, as a hashed set, rather than flatten into a join evaluated for
    every outer row (OFFSET 0 is its documented fence); SQLite plans it apart anyway."""
    return subquery if sqlite() else f"{subquery} OFFSET 0"


def json_text(column: str, key: str) -> str:
    """A member of a JSON object column, as text."""
    return f"json_extract({column}, '$.{key}')" if sqlite() else f"{column} ->> '{key}'"


def _array_or_empty(array: str) -> str:
    if sqlite():
        return f"CASE WHEN json_type({array}) = 'array' THEN {array} ELSE '[]' END"
    return f"CASE WHEN jsonb_typeof({array}) = 'array' THEN {array} ELSE '[]'::jsonb END"


def json_elements(array: str, alias: str) -> str:
    """A FROM item (after CROSS JOIN, it may name earlier tables): a row per element of a JSON array of strings,
    `alias.value`; none when the value is not an array."""
    if sqlite():
        return f"json_each({_array_or_empty(array)}) AS {alias}"
    return f"jsonb_array_elements_text({_array_or_empty(array)}) AS {alias}(value)"


def json_object_elements(array: str, alias: str) -> str:
    """Like `json_elements`, for arrays of objects: read an element's members with `json_element_text`."""
    if sqlite():
        return f"json_each({_array_or_empty(array)}) AS {alias}"
    return f"jsonb_array_elements({_array_or_empty(array)}) AS {alias}"


def json_member_values(obj: str, alias: str) -> str:
    """A FROM item: a row per member of a JSON object, its value as text in `alias.value`; none for a non-object."""
    if sqlite():
        return f"json_each(CASE WHEN json_type({obj}) = 'object' THEN {obj} ELSE '{{}}' END) AS {alias}"
    return f"jsonb_each_text(CASE WHEN jsonb_typeof({obj}) = 'object' THEN {obj} ELSE '{{}}'::jsonb END) AS {alias}"


def json_element_text(alias: str, key: str) -> str:
    """A member of an element from `json_object_elements`, as text; NULL when the element is not an object."""
    if sqlite():
        return f"CASE WHEN {alias}.type = 'object' THEN CAST(json_extract({alias}.value, '$.{key}') AS text) END"
    return f"{alias} ->> '{key}'"


def table_empty(cursor, table: str) -> None:
    if sqlite():
        cursor.execute(f"DELETE FROM {table}")
        return
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses while deferred FK checks are pending
    cursor.execute(f"TRUNCATE {table}")


@overload
def params(values: list) -> list: ...
@overload
def params(values: dict) -> dict: ...
def params(values: list | dict) -> list | dict:
    """Parameters as the database compares them: on SQLite, lists as JSON (for `any_of`) and instants as the UTC
    text Django stores (an aware datetime would be compared as text with its offset)."""
    if not sqlite():
        return values
    if isinstance(values, dict):
        return {name: _sqlite_value(value) for name, value in values.items()}
    return [_sqlite_value(value) for value in values]


def _sqlite_value(value):
    if isinstance(value, list | tuple):
        return json.dumps([_sqlite_value(item) for item in value])
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def fetch(query: str, values: list | dict) -> list[tuple]:
    """A read: routed as the ORM's are (to the read replica inside `supportdesk.replica.replica_reads()`)."""
    with connections[router.db_for_read(Model)].cursor() as cursor:  # raw SQL has no model: any stands for it
        cursor.execute(query, params(values))
        return cursor.fetchall()


@overload
def as_date(value: date | str) -> date: ...
@overload
def as_date(value: None) -> None: ...
def as_date(value: date | str | None) -> date | None:
    """A day from a computed column: SQLite returns it as ISO text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def as_money(value) -> Decimal:
    """A sum of money: SQLite adds decimals as floats."""
    return Decimal(0) if value is None else Decimal(str(value)).quantize(CENTS)


# What SQLite lacks, in Python


def _instant(text: str | None, tz: str) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC).astimezone(ZoneInfo(tz))


def _local_day(text: str | None, tz: str) -> str | None:
    instant = _instant(text, tz)
    return instant.date().isoformat() if instant else None


def _local_month(text: str | None, tz: str) -> str | None:
    instant = _instant(text, tz)
    return instant.date().replace(day=1).isoformat() if instant else None


def _seconds_between(later: str | None, earlier: str | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


class _Median:
    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


@receiver(connection_created, dispatch_uid="kpis.sqlite_functions")
def sqlite_functions_add(sender, connection, **kwargs) -> None:
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("sd_local_day", 2, _local_day, deterministic=True)
    connection.connection.create_function("sd_local_month", 2, _local_month, deterministic=True)
    connection.connection.create_function("sd_seconds_between", 2, _seconds_between, deterministic=True)
    connection.connection.create_aggregate("sd_median", 1, _Median)
