"""The API's JSON parser: the body the request guard already parsed and checked
(``core.guard``), not a second parse."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.guard import RequestRefused, json_body


class GuardedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = getattr((parser_context or {}).get("request"), "_request", None)
        if request is None:
            return super().parse(stream, media_type, parser_context)
        try:
            return json_body(request)
        except RequestRefused as refused:
            raise ParseError(refused.detail) from None
