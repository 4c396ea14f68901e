"""SCIM 2.0 endpoints under /scim/v2/ (RFC 7644): Users and Groups, and the three discovery resources. A client is
an identity provider holding a ScimToken (Authorization: Bearer …). Thin: the reading and writing of the JSON is
resources.py's, the changes are directory.services', each in one transaction."""

import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .. import selectors, services
from ..exceptions import ScimError, ScimNotFound
from ..models import DirectoryGroup, DirectoryUser, ScimToken
from . import resources as r

T = TypeVar("T", bound=Model)
CONTENT_TYPE = "application/scim+json"
PAGE_MAX = 200  # ServiceProviderConfig says so; an IdP asks for less


def _answer(data: dict | None, status: int = 200) -> HttpResponse:
    if data is None:
        return HttpResponse(status=status)
    return HttpResponse(json.dumps(data), status=status, content_type=CONTENT_TYPE)


def _error(status: int, detail: str, scim_type: str = "") -> HttpResponse:
    body = {"schemas": [r.ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return _answer(body, status)


ScimView = Callable[..., HttpResponse]


def scim_endpoint(methods: dict[str, ScimView]) -> Callable[..., HttpResponse]:
    """One URL's methods: CSRF-exempt (the bearer token stands in), the token checked before anything is read,
    refusals as SCIM error bodies."""

    @csrf_exempt
    def endpoint(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        token = services.scim_token_authenticate(key=key.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            response = _error(401, "Send a SCIM token made in the Supportdesk admin: Authorization: Bearer <token>.")
            response["WWW-Authenticate"] = 'Bearer realm="SCIM"'
            return response
        view = methods.get(request.method or "")
        if view is None:
            response = _error(405, f"{request.method} is not allowed here.")
            response["Allow"] = ", ".join(methods)
            return response
        try:
            return view(request, token, **kwargs)
        except ScimError as exc:
            return _error(exc.status, str(exc), exc.scim_type)

    return endpoint


def _body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body)
    except (ValueError, RecursionError):
        raise ScimError("The body is not JSON.", scim_type="invalidSyntax") from None


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/scim/v2").rstrip("/")


def _source(token: ScimToken) -> str:
    return f"SCIM ({token.name})"


def _page(request: HttpRequest) -> tuple[int, int]:
    """startIndex (from 1) and count, as RFC 7644 §3.4.2.4 reads them: below 1 is 1, a negative count 0."""
    try:
        start = max(int(request.GET.get("startIndex", 1)), 1)
        count = min(max(int(request.GET.get("count", 100)), 0), PAGE_MAX)
    except ValueError:
        raise ScimError("startIndex and count are whole numbers.", scim_type="invalidValue") from None
    return start, count


def _listed(request: HttpRequest, rows: Any, render: Callable[[Any], dict]) -> HttpResponse:
    start, count = _page(request)
    total = rows.count()
    page = list(rows[start - 1 : start - 1 + count]) if count else []
    return _answer(
        {
            "schemas": [r.LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": [render(row) for row in page],
        }
    )


_IDS = ("user_id", "pk", "members")


def _filtered(rows: QuerySet[T], terms: list[tuple[str, str]]) -> QuerySet[T]:
    for lookup, value in terms:
        if lookup in _IDS and not _is_id(value):
            return rows.none()  # no resource has such an id
        rows = rows.filter(**{lookup: value})
    return rows


def _is_id(text: str) -> bool:
    return text.isdigit() and len(text) <= 18


def _pk(text: str) -> int:
    if not _is_id(text):
        raise ScimNotFound(f"No resource has the id “{text}”.")
    return int(text)


# Users


def _identity(pk: str) -> DirectoryUser:
    identity = selectors.directory_users().filter(user_id=_pk(pk)).first()
    if identity is None:
        raise ScimNotFound(f"No user has the id “{pk}”.")
    return identity


def users_list(request: HttpRequest, token: ScimToken) -> HttpResponse:
    allowed = {
        "id": "user_id",
        "username": "user_name__iexact",
        "externalid": "external_id",
        "emails.value": "user__email__iexact",
    }
    rows = _filtered(selectors.directory_users(), r.equality_filter(request.GET.get("filter", ""), allowed))
    base = _base(request)
    return _listed(request, rows, lambda identity: r.user_json(identity, base))


def user_create(request: HttpRequest, token: ScimToken) -> HttpResponse:
    fields = r.user_fields(_body(request))
    identity = services.directory_user_create(**vars(fields), provider=token.provider, source=_source(token))
    return _answer(r.user_json(_identity(str(identity.user_id)), _base(request)), 201)


def user_show(request: HttpRequest, token: ScimToken, pk: str) -> HttpResponse:
    return _answer(r.user_json(_identity(pk), _base(request)))


def _user_changed(request: HttpRequest, token: ScimToken, pk: str, change: Callable[[r.UserFields], r.UserFields]):
    identity = services.directory_user_change(
        identity=_identity(pk), change=change, provider=token.provider, source=_source(token)
    )
    return _answer(r.user_json(_identity(str(identity.user_id)), _base(request)))


def user_replace(request: HttpRequest, token: ScimToken, pk: str) -> HttpResponse:
    fields = r.user_fields(_body(request))
    return _user_changed(request, token, pk, lambda _current: fields)


def user_patch(request: HttpRequest, token: ScimToken, pk: str) -> HttpResponse:
    body = _body(request)
    return _user_changed(request, token, pk, lambda current: r.user_patched(current, body))


def user_delete(request: HttpRequest, token: ScimToken, pk: str) -> HttpResponse:
    services.directory_user_delete(identity=_identity(pk), provider=token.provider, source=_source(token))
    return _answer(None, 204)


# Groups


def _with_members(request: HttpRequest) -> bool:
    excluded = request.GET.get("excludedAttributes", "").lower().split(",")
    return "members" not in {name.strip() for name in excluded}


def _group(pk: str, *, with_members: bool = True) -> DirectoryGroup:
    group = selectors.directory_groups(with_members=with_members).filter(pk=_pk(pk)).first()
    if group is None:
        raise ScimNotFound(f"No group has the id “{pk}”.")
    return group


def groups_list(request: HttpRequest, token: ScimToken) -> HttpResponse:
    allowed = {"id": "pk", "displayname": "display_name", "externalid": "external_id", "members.value": "members"}
    with_members = _with_members(request)
    terms = r.equality_filter(request.GET.get("filter", ""), allowed)
    rows = _filtered(selectors.directory_groups(with_members=with_members), terms)
    base = _base(request)
    return _listed(request, rows, lambda group: r.group_json(group, base, with_members=with_members))


def group_create(request: HttpRequest, token: ScimToken) -> HttpResponse:
    fields = r.group_fields(_body(request))
    group = services.directory_group_create(**vars(fields), provider=token.provider, source=_source(token))
    return _answer(r.group_json(_group(str(group.pk)), _base(request)), 201)


def group_show(request: HttpRequest, token: ScimToken, pk: str) -> HttpResponse:
    with_members = _with_members(request)
    return _answer(r.group_json(_group(pk, with_members=with_members), _base(request), with_members=with_members))


def _group_changed(request: HttpRequest, token: ScimToken, pk: str, change: Callable[[r.GroupFields], r.GroupFields]):
    group = _group(pk, with_members=False)
    services.directory_group_change(group=group, change=change, provider=token.provider, source=_source(token))
    if request.method == "PATCH":
        return _answer(None, 204)  # RFC 7644 §3.5.2: 204 when the resource is not returned (Entra, Okta accept it)
    return _answer(r.group_json(_group(pk), _base(request)))


def group_replace(request: HttpRequest, token: ScimToken, pk: str) -> HttpResponse:
    fields = r.group_fields(_body(request))
    return _group_changed(request, token, pk, lambda _current: fields)


def group_patch(request: HttpRequest, token: ScimToken, pk: str) -> HttpResponse:
    body = _body(request)
    return _group_changed(request, token, pk, lambda current: r.group_patched(current, body))


def group_delete(request: HttpRequest, token: ScimToken, pk: str) -> HttpResponse:
    services.directory_group_delete(
        group=_group(pk, with_members=False), provider=token.provider, source=_source(token)
    )
    return _answer(None, 204)


# Discovery (RFC 7644 §4): what this endpoint supports, for IdPs that read it


def service_provider_config(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return _answer(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": PAGE_MAX},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [
                {"type": "oauthbearertoken", "name": "Bearer token", "description": "A token from the admin."}
            ],
        }
    )


def _resource_type(name: str, schema: str) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": name,
        "name": name,
        "endpoint": f"/{name}s",
        "schema": schema,
    }


def resource_types(request: HttpRequest, token: ScimToken) -> HttpResponse:
    types = [_resource_type("User", r.USER_SCHEMA), _resource_type("Group", r.GROUP_SCHEMA)]
    return _answer(
        {"schemas": [r.LIST_SCHEMA], "totalResults": 2, "startIndex": 1, "itemsPerPage": 2, "Resources": types}
    )


def _attribute(name: str, kind: str = "string", **more: Any) -> dict:
    return {"name": name, "type": kind, "multiValued": False, "required": False, "mutability": "readWrite", **more}


def schemas(request: HttpRequest, token: ScimToken) -> HttpResponse:
    user = {
        "id": r.USER_SCHEMA,
        "name": "User",
        "attributes": [
            _attribute("userName", required=True, uniqueness="server"),
            _attribute("name", "complex"),
            _attribute("emails", "complex", multiValued=True),
            _attribute("active", "boolean"),
            _attribute("externalId"),
        ],
    }
    group = {
        "id": r.GROUP_SCHEMA,
        "name": "Group",
        "attributes": [_attribute("displayName", required=True), _attribute("members", "complex", multiValued=True)],
    }
    found = [user, group]
    return _answer(
        {"schemas": [r.LIST_SCHEMA], "totalResults": 2, "startIndex": 1, "itemsPerPage": 2, "Resources": found}
    )
