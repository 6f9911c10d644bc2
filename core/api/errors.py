"""The one error shape every door answers with (the partner API, shop, carrier and provider
webhooks, the request guard, the public pages' JSON endpoints):

    {"code": "invalid", "detail": "lines[2].quantity: Ensure this value is ...",
     "fields": {"lines[2].quantity": ["Ensure this value is less than or equal to 100000."]}}

``code`` is a stable machine word, ``detail`` a sentence for people, ``fields`` (only on
validation errors) maps a field's path (``shipping_address.country``, ``lines[2].quantity``) to
its messages. Domain errors are turned into it too: Django ``ValidationError`` -> 400,
``InvalidTransition`` -> 409 with the allowed next states."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.transitions import InvalidTransition

CODES_BY_STATUS = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def flatten_fields(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"a.b[2].c": [messages]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int) or str(key).isdigit():  # a list's item, as DRF keys them
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten_fields(value, path))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            if detail:
                out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(flatten_fields(item, f"{prefix}[{index}]"))
    elif detail not in (None, ""):
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def error_body(code: str, detail: str, fields: dict[str, list[str]] | None = None, **extra) -> dict:
    body = {"code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    body.update(extra)
    return body


def summary(fields: dict[str, list[str]]) -> str:
    return "; ".join(f"{path}: {' '.join(messages)}" for path, messages in fields.items())


def error_response(status_code: int, detail: str, *, code: str | None = None, fields=None, **extra) -> JsonResponse:
    """A JSON error outside DRF (webhooks, the request guard, public pages)."""
    code = code or CODES_BY_STATUS.get(status_code, "error")
    return JsonResponse(error_body(code, detail, fields, **extra), status=status_code)


def exception_handler(exc, context):
    from rest_framework.views import exception_handler as drf_exception_handler  # DRF's views import our parser

    if isinstance(exc, InvalidTransition):
        body = error_body(
            "invalid_transition", str(exc), current=exc.current, requested=exc.target, allowed=exc.allowed
        )
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_fields(exc.detail)
        response.data = error_body("invalid", summary(fields) or "invalid input", fields)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else CODES_BY_STATUS.get(response.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else summary(flatten_fields(exc.detail))
        response.data = error_body(code, str(detail))
    else:  # Django's Http404 / PermissionDenied, which DRF answered with {"detail": ...}
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = error_body(CODES_BY_STATUS.get(response.status_code, "error"), str(detail))
    return response
