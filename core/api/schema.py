"""The error answers in the partner API's OpenAPI schema: one ``Error`` component (the shape of
``core.api.errors``) and, on every operation, the 4xx answers it can give, added by a
drf-spectacular postprocessing hook so no view has to repeat them:

- every operation: 400 (invalid input, its ``fields`` name each failing field; the request guard
  also refuses unreadable text in any request), 401 (no, a malformed or a revoked token), 403,
  429 (with ``Retry-After``);
- an operation on one object (a path with ``{id}``): 404;
- an operation with a body: 413, 415, and 409 with ``current``, ``requested`` and ``allowed``
  when the status change it asks for (a transition, a carrier event, a shipment created in a
  status) is not allowed from the object's status;
- an operation taking ``Idempotency-Key``: 422 when the key was used for another request.

An answer a view documents itself keeps its description; the hook gives it the ``Error`` body.
Operations are tagged by their resource (``/api/v1/orders/...`` -> ``orders``).

Two more touches for partners reading the schema: a decimal's pattern requires a digit (the
generated one also matched ``""``, ``"-"`` and ``"."``, which are refused), and reStructuredText
literals in descriptions taken from docstrings become Markdown code."""

import re

ERROR_COMPONENT = "Error"

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every 4xx answer of the API. `fields` only on validation errors; `current`, `requested` "
    "and `allowed` only on a 409 for a status change.",
    "properties": {
        "code": {
            "type": "string",
            "description": "A stable machine word: invalid, not_authenticated, authentication_failed, "
            "permission_denied, not_found, method_not_allowed, conflict, invalid_transition, too_large, "
            "unsupported_media_type, idempotency_key_reused, throttled, ...",
            "example": "invalid",
        },
        "detail": {
            "type": "string",
            "description": "A sentence for people.",
            "example": "lines[1].quantity: Ensure this value is greater than or equal to 1.",
        },
        "fields": {
            "type": "object",
            "description": "Each failing field by its path (`shipping_address.country`, `lines[1].quantity`) "
            "with its messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "example": {"lines[1].quantity": ["Ensure this value is greater than or equal to 1."]},
        },
        "current": {"type": "string", "description": "409: the object's status now."},
        "requested": {"type": "string", "description": "409: the status asked for."},
        "allowed": {
            "type": "array",
            "items": {"type": "string"},
            "description": "409: the statuses it can move to from `current`.",
        },
    },
    "required": ["code", "detail"],
}

DESCRIPTIONS = {
    "400": "Invalid input: `fields` names each failing field by its path, e.g. `lines[1].quantity`; or a "
    "request that is not readable text.",
    "401": "No token, a malformed `Authorization` header, or a token that is wrong or revoked.",
    "403": "The token's partner may not do this.",
    "404": "No such object in your sales channels.",
    "409": "A status change not allowed from the object's status now: `current`, `requested` and the "
    "`allowed` next statuses.",
    "413": "The request body is too large.",
    "415": "The body's `Content-Type` is not one this operation reads.",
    "422": "This `Idempotency-Key` was already used for a different request.",
    "429": "Too many requests for this token: wait `Retry-After` seconds.",
}

HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "description": 'The scheme to authenticate with: `Bearer realm="waypost"`.',
        }
    },
    "429": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}},
}

# drf-spectacular's pattern for a DecimalField sent as a string, and one that needs a digit.
SPECTACULAR_DECIMAL = re.compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")
DECIMAL = r"^-?(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"

WRITE_METHODS = {"post", "put", "patch"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
API_PREFIX = "/api/v1/"


def _error_codes(path: str, method: str, operation: dict) -> set[str]:
    codes = {"400", "401", "403", "429"}
    if "{" in path:
        codes.add("404")
    if method in WRITE_METHODS or operation.get("requestBody"):
        codes |= {"409", "413", "415"}
    parameters = operation.get("parameters", [])
    if any(p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key" for p in parameters):
        codes.add("422")
    return codes


def _error_response(code: str, existing: dict | None) -> dict:
    response = dict(existing or {})
    response.setdefault("description", DESCRIPTIONS.get(code, "An error."))
    response["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    if code in HEADERS:
        response["headers"] = {**HEADERS[code], **response.get("headers", {})}
    return response


def _tidy(node):
    """Decimal patterns that need a digit, Markdown code in descriptions, all through the schema."""
    if isinstance(node, dict):
        if node.get("format") == "decimal" and isinstance(node.get("pattern"), str):
            match = SPECTACULAR_DECIMAL.match(node["pattern"])
            if match:
                node["pattern"] = DECIMAL.format(whole=match[1], places=match[2])
        if isinstance(node.get("description"), str):
            node["description"] = node["description"].replace("``", "`")
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""
    _tidy(result)
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        tag = path[len(API_PREFIX) :].split("/", 1)[0]
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            operation["tags"] = [tag]
            responses = operation.setdefault("responses", {})
            codes = _error_codes(path, method, operation) | {c for c in responses if c.startswith("4")}
            for code in sorted(codes):
                responses[code] = _error_response(code, responses.get(code))
    return result
