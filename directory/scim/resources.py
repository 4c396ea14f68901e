"""SCIM 2.0 resources as JSON (RFC 7643), and the requests that change them read into plain fields (RFC 7644).

PATCH is applied to the resource's fields as they are, giving the whole new state, which the services take as a PUT.
Okta's and Entra ID's dialects are read too: operations capitalised ("Replace"), booleans as strings ("False"), a
value object without a path, `members[value eq "…"]` and `emails[type eq "work"].value` paths. Attributes
Supportdesk does not keep (phone numbers, the enterprise extension's manager…) are accepted and ignored, as the RFC
allows for attributes a service provider does not support."""

import re
from dataclasses import dataclass, replace
from typing import Any

from ..exceptions import ScimError
from ..models import DirectoryGroup, DirectoryUser

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass(frozen=True)
class UserFields:
    user_name: str
    email: str
    first_name: str
    last_name: str
    external_id: str
    active: bool


@dataclass(frozen=True)
class GroupFields:
    display_name: str
    external_id: str
    member_ids: frozenset[int]


def user_json(identity: DirectoryUser, base: str) -> dict:
    user = identity.user
    return {
        "schemas": [USER_SCHEMA],
        "id": str(user.pk),
        "externalId": identity.external_id or None,
        "userName": identity.user_name,
        "name": {"givenName": user.first_name, "familyName": user.last_name},
        "displayName": user.display_name,
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "active": user.is_active,
        "groups": [
            {"value": str(g.pk), "display": g.display_name, "$ref": f"{base}/Groups/{g.pk}"}
            for g in user.directory_groups.all()
        ],
        "meta": {
            "resourceType": "User",
            "created": identity.created_at.isoformat(),
            "lastModified": identity.updated_at.isoformat(),
            "location": f"{base}/Users/{user.pk}",
        },
    }


def group_json(group: DirectoryGroup, base: str, *, with_members: bool = True) -> dict:
    data: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA],
        "id": str(group.pk),
        "externalId": group.external_id or None,
        "displayName": group.display_name,
        "meta": {
            "resourceType": "Group",
            "created": group.created_at.isoformat(),
            "lastModified": group.updated_at.isoformat(),
            "location": f"{base}/Groups/{group.pk}",
        },
    }
    if with_members:
        data["members"] = [
            {"value": str(u.pk), "display": u.email, "$ref": f"{base}/Users/{u.pk}"} for u in group.members.all()
        ]
    return data


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise ScimError(f"{name} must be a string.")
    return str(value).strip()


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):  # Entra ID sends "False"
        return value.strip().lower() == "true"
    raise ScimError(f"{name} must be true or false.")


def _email(emails: Any) -> str:
    if not isinstance(emails, list):
        raise ScimError("emails must be a list.")
    rows = [e for e in emails if isinstance(e, dict) and e.get("value")]
    primary = next((e for e in rows if _bool(e.get("primary", False), "emails.primary")), rows[0] if rows else {})
    return _text(primary.get("value"), "emails.value")


def user_fields(body: Any) -> UserFields:
    """POST and PUT: the whole user."""
    if not isinstance(body, dict):
        raise ScimError("Send a SCIM User object.", scim_type="invalidSyntax")
    user_name = _text(body.get("userName"), "userName")
    if not user_name:
        raise ScimError("userName is required.")
    name = body["name"] if isinstance(body.get("name"), dict) else {}
    return UserFields(
        user_name=user_name,
        email=_email(body["emails"]) if body.get("emails") else "",
        first_name=_text(name.get("givenName"), "name.givenName"),
        last_name=_text(name.get("familyName"), "name.familyName"),
        external_id=_text(body.get("externalId"), "externalId"),
        active=_bool(body.get("active", True), "active"),
    )


def _member_ids(value: Any) -> set[int]:
    items = value if isinstance(value, list) else [value]
    ids = set()
    for item in items:
        raw = item.get("value") if isinstance(item, dict) else item
        if not (isinstance(raw, str | int) and str(raw).isdigit()):
            raise ScimError(f"No SCIM user has the id {raw!r}.")
        ids.add(int(raw))
    return ids


def group_fields(body: Any) -> GroupFields:
    if not isinstance(body, dict):
        raise ScimError("Send a SCIM Group object.", scim_type="invalidSyntax")
    return GroupFields(
        display_name=_text(body.get("displayName"), "displayName"),
        external_id=_text(body.get("externalId"), "externalId"),
        member_ids=frozenset(_member_ids(body.get("members") or [])),
    )


def current_user_fields(identity: DirectoryUser) -> UserFields:
    user = identity.user
    return UserFields(
        identity.user_name, user.email, user.first_name, user.last_name, identity.external_id, user.is_active
    )


def current_group_fields(group: DirectoryGroup) -> GroupFields:
    ids = frozenset(group.members.values_list("pk", flat=True))
    return GroupFields(group.display_name, group.external_id, ids)


def _operations(body: Any) -> list[tuple[str, str, Any]]:
    """(op lower-cased, path without the core schema's prefix, value) for each operation."""
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        raise ScimError("Send a SCIM PatchOp with its Operations.", scim_type="invalidSyntax")
    ops = []
    for op in body["Operations"]:
        if not isinstance(op, dict) or str(op.get("op", "")).lower() not in ("add", "remove", "replace"):
            raise ScimError("Each operation's op is add, remove or replace.", scim_type="invalidSyntax")
        path = str(op.get("path") or "")
        for schema in (USER_SCHEMA, GROUP_SCHEMA):
            path = path.removeprefix(f"{schema}:")
        ops.append((op["op"].lower(), path, op.get("value")))
    return ops


def _user_attribute(fields: UserFields, op: str, path: str, value: Any) -> UserFields:
    key = path.lower()
    if key in ("username",):
        return replace(fields, user_name=_text(value, "userName") or fields.user_name)
    if key == "externalid":
        return replace(fields, external_id="" if op == "remove" else _text(value, "externalId"))
    if key == "active":
        return fields if op == "remove" else replace(fields, active=_bool(value, "active"))
    if key == "name.givenname":
        return replace(fields, first_name="" if op == "remove" else _text(value, "name.givenName"))
    if key == "name.familyname":
        return replace(fields, last_name="" if op == "remove" else _text(value, "name.familyName"))
    if key == "name" and isinstance(value, dict):
        for sub in ("givenName", "familyName"):
            if sub in value:
                fields = _user_attribute(fields, op, f"name.{sub}", value[sub])
        return fields
    if key == "emails" and op != "remove":
        return replace(fields, email=_email(value if isinstance(value, list) else [value]) or fields.email)
    if key.startswith("emails[") and key.endswith("].value") and op != "remove":  # emails[type eq "work"].value
        return replace(fields, email=_text(value, "emails.value") or fields.email)
    return fields  # not kept here (RFC 7644 §3.5.2: may be ignored)


def user_patched(fields: UserFields, body: Any) -> UserFields:
    for op, path, value in _operations(body):
        if path:
            fields = _user_attribute(fields, op, path, value)
        elif isinstance(value, dict):  # no path: the value names the attributes (Okta's {"active": false})
            for name, sub in value.items():
                fields = _user_attribute(fields, op, str(name).removeprefix(f"{USER_SCHEMA}:"), sub)
        else:
            raise ScimError("An operation without a path needs an object value.", scim_type="invalidSyntax")
    return fields


_MEMBER_FILTER = re.compile(r'^members\[\s*value\s+eq\s+"([^"]*)"\s*\]$', re.IGNORECASE)


def _group_attribute(fields: GroupFields, op: str, path: str, value: Any) -> GroupFields:
    key = path.lower()
    if key == "displayname":
        return replace(fields, display_name=_text(value, "displayName") or fields.display_name)
    if key == "externalid":
        return replace(fields, external_id="" if op == "remove" else _text(value, "externalId"))
    if key == "members":
        if op == "add":
            return replace(fields, member_ids=fields.member_ids | _member_ids(value))
        if op == "replace":
            return replace(fields, member_ids=frozenset(_member_ids(value or [])))
        # remove: the members listed (Entra ID), or all of them without a value
        return replace(fields, member_ids=fields.member_ids - _member_ids(value) if value else frozenset())
    if match := _MEMBER_FILTER.match(path):  # Okta's remove: members[value eq "42"]
        if op != "remove":
            raise ScimError("Only remove takes a members filter.", scim_type="invalidPath")
        return replace(fields, member_ids=fields.member_ids - _member_ids(match.group(1)))
    if key in ("id", "meta", "schemas"):
        return fields  # read-only; Okta sends the id back in a replace
    raise ScimError(f"Groups have no attribute “{path}” to change.", scim_type="invalidPath")


def group_patched(fields: GroupFields, body: Any) -> GroupFields:
    for op, path, value in _operations(body):
        if path:
            fields = _group_attribute(fields, op, path, value)
        elif isinstance(value, dict):  # Okta: {"op": "replace", "value": {"id": "…", "displayName": "…"}}
            for name, sub in value.items():
                fields = _group_attribute(fields, op, str(name), sub)
        else:
            raise ScimError("An operation without a path needs an object value.", scim_type="invalidSyntax")
    return fields


# `name eq "value"`, or `members[value eq "value"]`, joined by `and`: what IdPs send (Entra ID asks whether a user is
# in a group with `id eq "…" and members[value eq "…"]`)
_TERM = re.compile(r'\s*(?:(members)\[\s*value|([\w.]+))\s+eq\s+"((?:[^"\\]|\\.)*)"\s*(\])?\s*', re.IGNORECASE)
_AND = re.compile(r"and\s+", re.IGNORECASE)


def equality_filter(text: str, allowed: dict[str, str]) -> list[tuple[str, str]]:
    """The filter as (lookup, value) pairs, all to hold; none for no filter. `allowed` maps SCIM attribute names
    (lower-case) to ORM lookups."""
    terms: list[tuple[str, str]] = []
    position = 0
    while position < len(text.rstrip()):
        term = _TERM.match(text, position)
        name = (f"{term.group(1)}.value" if term.group(1) else term.group(2)).lower() if term else ""
        if term is None or name not in allowed or bool(term.group(1)) != bool(term.group(4)):
            names = ", ".join(sorted(allowed))
            raise ScimError(f'Filter with {names}, as `name eq "value"` joined by `and`.', scim_type="invalidFilter")
        terms.append((allowed[name], term.group(3).replace('\\"', '"').replace("\\\\", "\\")))
        position = term.end()
        if position < len(text.rstrip()):
            joined = _AND.match(text, position)
            if joined is None:
                raise ScimError("Join filters with `and`.", scim_type="invalidFilter")
            position = joined.end()
    return terms
