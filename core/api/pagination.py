"""The partner API's page: ``limit`` (1 to the largest 64-bit integer, clamped to ``MAX_LIMIT``;
``PAGE_SIZE`` when left out) and ``offset`` (0 to ``MAX_OFFSET``). Anything else in them (not a whole number,
negative, an offset past the maximum) is a 400 naming the parameter, never a silent default or a
database error."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MAX_LIMIT = 200
MAX_OFFSET = 1_000_000
LARGEST_INTEGER = 2**63 - 1  # beyond it a limit is no number a client means: 400, not a clamp


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT
    max_offset = MAX_OFFSET

    def _number(self, request, name: str, *, minimum: int, maximum: int | None, rule: str) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        text = raw.strip().lstrip("0") or ("0" if raw.strip() else "")
        if not (text.isascii() and text.isdigit()) or int(text[:19]) < minimum:
            raise ValidationError({name: [rule]}, code="invalid")
        value = int(text) if len(text) <= 19 else LARGEST_INTEGER + 1  # past any bound; never a 5,000-digit int
        if maximum is not None and value > maximum:
            raise ValidationError({name: [rule]}, code="max_value")
        return value

    def get_limit(self, request):
        limit = self._number(
            request,
            self.limit_query_param,
            minimum=1,
            maximum=LARGEST_INTEGER,
            rule=f"Use a whole number from 1 to {LARGEST_INTEGER} (pages hold at most {self.max_limit}).",
        )
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        offset = self._number(
            request,
            self.offset_query_param,
            minimum=0,
            maximum=self.max_offset,
            rule=f"Use a whole number from 0 to {self.max_offset}.",
        )
        return offset or 0

    def get_schema_operation_parameters(self, view):
        limit, offset = super().get_schema_operation_parameters(view)
        limit["description"] = (
            f"Number of results to return per page: default {self.default_limit}, at most {self.max_limit} "
            f"(a larger limit gives {self.max_limit})."
        )
        limit["schema"] = {"type": "integer", "minimum": 1, "maximum": LARGEST_INTEGER}
        offset["description"] = f"The initial index from which to return the results: 0 to {self.max_offset}."
        offset["schema"] = {"type": "integer", "minimum": 0, "maximum": self.max_offset}
        return [limit, offset]
