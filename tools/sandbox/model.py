"""Input checked against botocore's model, as AWS validates a request before the operation runs.

botocore checks only types, required members and minimums before it sends; AWS also refuses values outside an
enum, a pattern or a maximum, and names each one in its message. A service that models its validation errors
(``ValidationException`` with ``Fields``) builds them from ``violations``; ``described`` is the message.
"""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session

from .api import AwsError

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "list": (list,),
    "map": (dict,),
    "structure": (dict,),
}


@dataclass(frozen=True)
class Violation:
    where: str  # the member, as the model names it: "DestinationPhoneNumber", "Filters[0].Values"
    value: Any  # None for a missing required member
    constraint: str  # "Member must …", in AWS's words


@cache
def _model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def violations(service: str, operation: str, params: dict[str, Any]) -> list[Violation]:
    """Each way the parameters break the operation's input shape; a value of the wrong type is not JSON AWS reads."""
    return _violations(params, _model(service).operation_model(operation).input_shape, "")


def described(found: list[Violation]) -> str:
    """The message AWS's validation gives, naming members in lower camel case as its wire names do."""
    said = [
        f"Value {'null' if v.value is None else repr(v.value)} at '{_camel(v.where)}' failed to satisfy constraint: "
        f"{v.constraint}"
        for v in found
    ]
    return f"{len(found)} validation error{'s' if len(found) > 1 else ''} detected: " + "; ".join(said)


def _camel(path: str) -> str:
    return re.sub(r"(^|\.)([A-Z])", lambda found: found[1] + found[2].lower(), path)


def _violations(value: Any, shape: Any, path: str) -> list[Violation]:
    kind = shape.type_name
    expected = _TYPES.get(kind)
    if expected and (not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool))):
        raise AwsError("SerializationException", f"Unexpected value type at '{path}': expected {kind}.")
    found: list[Violation] = []
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if kind == "structure":
        for name in shape.required_members:
            if value.get(name) is None:
                found.append(Violation(f"{path}.{name}".lstrip("."), None, "Member must not be null"))
        for name, member in shape.members.items():
            if value.get(name) is not None:
                found += _violations(value[name], member, f"{path}.{name}".lstrip("."))
    elif kind in ("string", "list", "map"):
        if kind == "string" and shape.enum and value not in shape.enum:
            found.append(Violation(path, value, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"))
        if low is not None and len(value) < low:
            found.append(Violation(path, value, f"Member must have length greater than or equal to {low}"))
        if high is not None and len(value) > high:
            found.append(Violation(path, value, f"Member must have length less than or equal to {high}"))
        pattern = shape.metadata.get("pattern")
        if kind == "string" and pattern and not re.fullmatch(pattern, value):
            found.append(Violation(path, value, f"Member must satisfy regular expression pattern: {pattern}"))
        if kind == "list":
            for i, item in enumerate(value):
                found += _violations(item, shape.member, f"{path}[{i}]")
        if kind == "map":
            for key, item in value.items():
                found += _violations(key, shape.key, f"{path}.{key}")
                found += _violations(item, shape.value, f"{path}.{key}")
    elif kind in ("integer", "long"):
        if low is not None and value < low:
            found.append(Violation(path, value, f"Member must have value greater than or equal to {low}"))
        if high is not None and value > high:
            found.append(Violation(path, value, f"Member must have value less than or equal to {high}"))
    return found
