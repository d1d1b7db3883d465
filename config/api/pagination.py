"""Pagination: cursors for the large, growing lists (seats, employees, seat events, usage days),
page numbers for the small ones. A malformed page, cursor or page size is bad input (400, naming
the parameter); a page past the end is 404."""

from __future__ import annotations

from base64 import b64decode
from urllib.parse import parse_qs

from rest_framework import exceptions, pagination


def _page_size(request, param: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(param)
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 9 or not 1 <= int(raw) <= maximum:
        raise exceptions.ValidationError({param: [f"Enter a whole number from 1 to {maximum}."]})
    return int(raw)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        return _page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw not in (None, "last") and (not raw.isdigit() or len(raw) > 9 or raw == "0"):
            raise exceptions.ValidationError(
                {self.page_query_param: ["Enter a page number of at least 1, or 'last'."]}
            )
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_query_param:
                param["schema"] = {"type": "integer", "minimum": 1, "maximum": 999_999_999}
            elif param["name"] == self.page_size_query_param:
                param["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return params


class CursorPagination(pagination.CursorPagination):
    """Stable under inserts: a poller walking seats or events never skips or repeats a row."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "id"

    def get_page_size(self, request):
        return _page_size(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def decode_cursor(self, request):
        invalid = exceptions.ValidationError(
            {self.cursor_query_param: ["This cursor is not valid; start again without it."]}
        )
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded:
            # DRF's decoder skips stray characters and unknown tokens; a cursor is only ever
            # one this API wrote, so anything else is refused rather than read as "start".
            try:
                text = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            except ValueError:
                raise invalid from None
            tokens = parse_qs(text, keep_blank_values=True)
            if not tokens or set(tokens) - {"o", "r", "p"}:
                raise invalid
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise invalid from None
        # The position is compared with the integer ordering key: anything else is forged.
        position = cursor.position if cursor else None
        if position is not None and not (position.isdigit() and len(position) <= 18):
            raise invalid
        return cursor

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return params
