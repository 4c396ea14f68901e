"""DRF pagination over supportdesk.keyset: no COUNT(*), constant cost on any page."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .keyset import InvalidCursor, keyset_page


class KeysetPagination(BasePagination):
    page_size = 25
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None) -> list:
        try:
            # empty is not given, as for every query parameter (an HTML form sends its empty fields)
            size = min(max(int(request.query_params.get("page_size") or self.page_size), 1), self.max_page_size)
        except ValueError as exc:
            raise ValidationError({"page_size": "A whole number from 1 to 100."}) from exc
        ordering = getattr(view, "keyset_ordering", lambda: ["-id"])()
        try:
            self.page = keyset_page(queryset, ordering=ordering, cursor=request.query_params.get("cursor"), size=size)
        except InvalidCursor as exc:
            raise ValidationError({"cursor": str(exc)}) from exc
        self.base_url = request.build_absolute_uri()
        return self.page.items

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        return replace_query_param(self.base_url, "cursor", cursor)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "next": self._link(self.page.next_cursor),
                "previous": self._link(self.page.previous_cursor),
                "first": remove_query_param(self.base_url, "cursor"),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": link, "previous": link, "first": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "Opaque position from a previous page's next or previous link.",
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "schema": {"type": "integer"},
                "description": "Rows per page (25); more than 100 gives 100, fewer than 1 gives 1.",
            },
        ]
