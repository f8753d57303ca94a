"""Page-number pagination with a bounded page size, strict parameters and the "as of" date."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def positive_int(request, name: str, maximum: int | None = None) -> int | None:
    """Read a whole-number query parameter, refusing anything else with a 400."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
    whole = raw.isascii() and raw.isdigit()
    if not whole or int(raw) < 1 or (maximum is not None and int(raw) > maximum):
        bound = f" from 1 to {maximum}" if maximum is not None else " of 1 or more"
        raise ValidationError({name: [f"“{raw}” is not allowed: give a whole number{bound}."]})
    return int(raw)


class AsOfPageNumberPagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        return positive_int(request, self.page_size_query_param, self.max_page_size) or (
            self.page_size
        )

    def get_page_number(self, request, paginator) -> int:
        return positive_int(request, self.page_query_param) or 1

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "as_of": self.request.as_of.day.isoformat(),
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["as_of", *paginated.get("required", [])]
        paginated["properties"] = {
            "as_of": {
                "type": "string",
                "format": "date",
                "description": "The day the data describes (today unless `as_of` was given).",
            },
            **paginated["properties"],
        }
        return paginated
