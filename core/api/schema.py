"""The error answers in the partner API's OpenAPI schema: one ``Error`` component (the shape of
``core.api.errors``) and, on every operation, the 4xx answers it can give, added by a
drf-spectacular postprocessing hook so no view has to repeat them:

- every operation: 401 (no, a malformed or a revoked token), 403, 429 (with ``Retry-After``);
- an operation on one object (a path with ``{id}``): 404;
- an operation with a body: 400 (its ``fields`` name each failing field), 413, 415;
- a list (query parameters): 400;
- an operation taking ``Idempotency-Key``: 422 when the key was used for another request;
- a transition (a documented 409): 409 with ``current``, ``requested`` and ``allowed``.

An answer a view documents itself keeps its description; the hook gives it the ``Error`` body.
Operations are tagged by their resource (``/api/v1/orders/...`` -> ``orders``)."""

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
    "400": "Invalid input: `fields` names each failing field by its path, e.g. `lines[1].quantity`.",
    "401": "No token, a malformed `Authorization` header, or a token that is wrong or revoked.",
    "403": "The token's partner may not do this.",
    "404": "No such object in your sales channels.",
    "409": "Not allowed from the current status: `current`, `requested` and the `allowed` next statuses.",
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

WRITE_METHODS = {"post", "put", "patch"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
API_PREFIX = "/api/v1/"


def _error_codes(path: str, method: str, operation: dict) -> set[str]:
    codes = {"401", "403", "429"}
    if "{" in path:
        codes.add("404")
    if method in WRITE_METHODS or operation.get("requestBody"):
        codes |= {"400", "413", "415"}
    parameters = operation.get("parameters", [])
    if any(p.get("in") == "query" for p in parameters):
        codes.add("400")
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


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""
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
