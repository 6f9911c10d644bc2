"""The request guard: one check of every request's shape at every door (the partner API, shop
and carrier webhooks, provider webhooks, public pages) before any view runs and before any row
is written. Each refusal is a 4xx in the one error shape (``core.api.errors``):

- a body over ``REQUEST_MAX_BODY_BYTES`` -> 413 naming the limit (multipart uploads excepted:
  Django streams their files to disk);
- a JSON body that is not UTF-8 text or not JSON -> 400; nested deeper than
  ``REQUEST_JSON_MAX_DEPTH`` or with a list or object of more than ``REQUEST_JSON_MAX_ITEMS``
  members -> 400 naming where;
- a NUL character in the path, a query parameter, a form field or a JSON string -> 400 naming
  the parameter or field. Views that store a shop's body as received (``@keeps_raw_body``) take
  NULs and store them (their processing strips them), and answer a body that is not JSON
  themselves, after its signature.

A JSON body is parsed here once; ``json_body(request)`` and the API's parser reuse it."""

import json

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent, TooManyFilesSent
from django.http.multipartparser import MultiPartParserError

from core.api.errors import error_response

NUL = "\x00"
_UNSET = object()
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RequestRefused(Exception):
    def __init__(self, status: int, detail: str, *, code: str, field: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.code, self.field = status, detail, code, field

    def response(self):
        fields = {self.field: [self.detail]} if self.field else None
        detail = f"{self.field}: {self.detail}" if self.field else self.detail
        return error_response(self.status, detail, code=self.code, fields=fields)


def keeps_raw_body(view):
    """Marks a view that stores the body as received: NULs in it are not refused."""
    view.keeps_raw_body = True
    return view


def without_nul(value):
    """A parsed JSON value without NUL characters, for a raw body's working copy: databases
    cannot store them in text or JSON, and no customer-facing field means one."""
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, dict):
        return {without_nul(key): without_nul(child) for key, child in value.items()}
    if isinstance(value, list):
        return [without_nul(child) for child in value]
    return value


def _path(parent: str, key) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def check_json(value, *, max_depth: int, max_items: int, allow_nul: bool) -> None:
    """Walks a parsed JSON value without recursion; raises ``RequestRefused`` at the first
    member that breaks a limit."""
    stack = [(value, "", 0)]
    while stack:
        node, where, depth = stack.pop()
        if isinstance(node, str):
            if not allow_nul and NUL in node:
                raise RequestRefused(400, "contains a NUL character", code="invalid_text", field=where or "body")
            continue
        if not isinstance(node, dict | list):
            continue
        if depth >= max_depth:
            raise RequestRefused(
                400, f"JSON nested deeper than {max_depth} levels", code="too_deep", field=where or "body"
            )
        if len(node) > max_items:
            raise RequestRefused(
                400, f"more than {max_items} members in one list or object", code="too_wide", field=where or "body"
            )
        if isinstance(node, dict):
            for key, child in node.items():
                if not allow_nul and NUL in key:
                    raise RequestRefused(
                        400, "a key contains a NUL character", code="invalid_text", field=where or "body"
                    )
                stack.append((child, _path(where, key), depth + 1))
        else:
            stack.extend((child, _path(where, index), depth + 1) for index, child in enumerate(node))


def _looks_like_json(request) -> bool:
    content_type = (request.content_type or "").lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        return True
    if content_type.startswith(FORM_TYPES):
        return False
    return request.body.lstrip()[:1] in (b"{", b"[")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def parse_json(body: bytes):
    """The body as JSON, or ``RequestRefused`` (not text, not JSON, or too deep for the parser)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RequestRefused(
            400, f"the body is not UTF-8 text (byte {exc.start})", code="invalid_text", field="body"
        ) from None
    try:
        return json.loads(text, parse_constant=_refuse_constant) if text.strip() else None
    except RecursionError:
        raise RequestRefused(400, "JSON nested too deeply", code="too_deep", field="body") from None
    except ValueError as exc:  # JSONDecodeError, and numbers beyond Python's digit limit
        raise RequestRefused(400, f"the body is not valid JSON: {exc}", code="parse_error", field="body") from None


def json_body(request):
    """The request's parsed JSON body, parsed once (here or by the guard)."""
    cached = getattr(request, "guarded_json", _UNSET)
    if cached is _UNSET:
        cached = parse_json(request.body)
        request.guarded_json = cached
    return cached


def _form_fields(request) -> list:
    try:
        return list(request.POST.lists())
    except (TooManyFieldsSent, TooManyFilesSent) as exc:
        raise RequestRefused(400, str(exc), code="too_wide", field="body") from None
    except MultiPartParserError as exc:
        raise RequestRefused(400, f"the form is malformed: {exc}", code="parse_error", field="body") from None


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            self._check(request, allow_nul=getattr(view_func, "keeps_raw_body", False))
        except RequestRefused as refused:
            return refused.response()
        return None

    def _check(self, request, *, allow_nul: bool) -> None:
        if NUL in request.path:
            raise RequestRefused(400, "the address contains a NUL character", code="invalid_text", field="path")
        for name, values in request.GET.lists():
            if NUL in name or any(NUL in value for value in values):
                raise RequestRefused(400, "contains a NUL character", code="invalid_text", field=name)
        content_type = (request.content_type or "").lower()
        multipart = content_type.startswith("multipart/form-data")
        limit = settings.REQUEST_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise RequestRefused(
                400, "Content-Length is not a number", code="invalid", field="Content-Length"
            ) from None
        if length > limit and not multipart:
            raise RequestRefused(
                413,
                f"the body is {length} bytes; the limit is {limit} bytes (REQUEST_MAX_BODY_BYTES)",
                code="too_large",
            )
        if not length:
            return
        if content_type.startswith(FORM_TYPES):
            for name, values in [] if allow_nul else _form_fields(request):
                if NUL in name or any(NUL in value for value in values):
                    raise RequestRefused(400, "contains a NUL character", code="invalid_text", field=name)
            return
        if _looks_like_json(request):
            try:
                value = json_body(request)
            except RequestRefused as refused:
                if allow_nul and refused.code != "too_deep":
                    return  # a shop's body that is not JSON: its view answers after the signature
                raise
            check_json(
                value,
                max_depth=settings.REQUEST_JSON_MAX_DEPTH,
                max_items=settings.REQUEST_JSON_MAX_ITEMS,
                allow_nul=allow_nul,
            )
